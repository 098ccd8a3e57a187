-- Function: lambdiste.execute_root(3), lambdiste.execute_apply(3)
--
--      londiste3's execute: SQL (DDL) run on the root and at the same place
--      of the event stream on every subscriber, once per node (tracked in
--      lambdiste.applied_execute by file name and md5 of the text).
--
--      execute_root runs the file on the root, in the caller's transaction:
--      the SQL, then the capture functions made again for the tables this
--      root captures (a column added, renamed or dropped changes what they
--      write), then an EXECUTE event into the queue (ev_data the SQL,
--      ev_extra1 the file name). The event is written after the SQL has
--      taken its locks: a writer of a table the SQL alters either committed
--      before it (its events have lower ids and come no later) or waits for
--      it (its events have higher ids and come no earlier), so a subscriber
--      that applies events before it with the old shape of the table, runs
--      the SQL, then applies the events after it, applies each change once,
--      to the shape it was captured from.
--
--      execute_apply runs a file met in the stream on a subscriber, in the
--      batch's transaction, unless it already ran here.
--
--      Both run the SQL with PostgreSQL's default search_path, as a user's
--      session would.
-- Returns:
--      execute_root: ret_code 200 (ran) or 301 (already applied here), ret_note;
--      execute_apply: whether it ran.
create or replace function lambdiste.execute_root(i_queue text, i_file text, i_sql text,
    out ret_code integer, out ret_note text)
language plpgsql
set search_path = "$user", public
as $$
declare
    _sum text := pg_catalog.md5(i_sql);
begin
    if not exists (select from lambdiste.node where node_queue = i_queue and node_type = 'root') then
        raise exception 'This database is not the root of queue "%"', i_queue using errcode = '55000';
    end if;
    if exists (select from lambdiste.applied_execute
                where exec_queue = i_queue and exec_file = i_file and exec_checksum = _sum) then
        ret_code := 301;
        ret_note := format('EXECUTE(%s) already applied, skipping', i_file);
        return;
    end if;
    execute i_sql;
    perform lambdiste.refresh_capture_functions();
    insert into lambdiste.applied_execute (exec_queue, exec_file, exec_checksum, exec_sql)
    values (i_queue, i_file, _sum, i_sql);
    perform pgq.insert_event(i_queue, 'EXECUTE', i_sql, i_file, _sum, null, null);
    -- The ticker's wake-up, as a capture gives it: the daemon's notification,
    -- and the scheduled ticker function's wake when it sleeps.
    perform pg_notify(lambdiste.queue_channel(i_queue, 'events'), '');
    perform lambdiste.wake_ticker(i_queue);
    ret_code := 200;
    ret_note := format('Executed: %s', i_file);
end;
$$;

create or replace function lambdiste.execute_apply(i_queue text, i_file text, i_sql text)
returns boolean
language plpgsql
set search_path = "$user", public
as $$
declare
    _sum text := pg_catalog.md5(i_sql);
begin
    if exists (select from lambdiste.applied_execute
                where exec_queue = i_queue and exec_file = i_file and exec_checksum = _sum) then
        return false;
    end if;
    execute i_sql;
    insert into lambdiste.applied_execute (exec_queue, exec_file, exec_checksum, exec_sql)
    values (i_queue, i_file, _sum, i_sql);
    return true;
end;
$$;
