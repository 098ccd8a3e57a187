-- Function: pgq.insert_event_raw(11)
--
--      Inserts an event into the queue's current event table, as PgQ's C
--      version does:
--        * the queue's event sequence is drawn from on every call, even
--          when an event id is given or the insert is then refused (the
--          ticker counts new events by watching that sequence);
--        * a queue with queue_disable_insert refuses, except in sessions
--          with session_replication_role = replica (where replicated
--          events are copied in);
--        * a queue with queue_per_tx_limit refuses the event past that
--          many from one transaction;
--        * a NULL ev_time is now().
--      The event becomes visible to consumers in the first batch whose end
--      tick sees its transaction committed. Every name, operator and
--      function in here is schema-qualified: it runs as the queue's owner
--      when called through pgq.insert_event, with the caller's search_path.
-- Returns:
--      the event id
-- Tables directly manipulated:
--      insert - pgq.event_template (routed to pgq.event_<queue>_<n>)
create or replace function pgq.insert_event_raw(
    queue_name text, ev_id bigint, ev_time timestamp with time zone,
    ev_owner integer, ev_retry integer, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint
language plpgsql
as $$
declare
    _q    record;
begin
    if $1 is null then
        raise exception 'Queue name must not be NULL' using errcode = 'XX000';
    end if;
    select q.queue_id, q.queue_cur_table, q.queue_disable_insert, q.queue_per_tx_limit,
           pg_catalog.nextval(q.queue_event_seq::pg_catalog.regclass) as next_id
      into _q
      from pgq.queue q
     where q.queue_name operator(pg_catalog.=) $1;
    if not found then
        raise exception 'No such queue' using errcode = 'XX000';
    end if;
    if _q.queue_disable_insert
       and pg_catalog.current_setting('session_replication_role') operator(pg_catalog.<>) 'replica' then
        raise exception 'Insert into queue disallowed' using errcode = 'XX000';
    end if;
    if _q.queue_per_tx_limit is not null then
        perform pgq._count_tx_events(_q.queue_id, $1, _q.queue_per_tx_limit, 1);
    end if;
    insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,
                                    ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    values (_q.queue_id, _q.queue_cur_table, coalesce($2, _q.next_id), coalesce($3, pg_catalog.now()),
            $4, $5, $6, $7, $8, $9, $10, $11);
    return coalesce($2, _q.next_id);
end;
$$;
