-- Function: lambdiste.create_capture_triggers(3), lambdiste.create_capture_function(3),
--           lambdiste.capture_trigger_name(2),
--           lambdiste.refresh_capture_functions(0), lambdiste.drop_capture_triggers(2),
--           lambdiste.capture_events_select(5), lambdiste.capture_settings(0)
--
--      (Re)creates or drops the capture triggers of a table for a queue:
--      _lambdiste_<queue>_ins, _upd, _del (statement-level, with transition
--      tables) and _lambdiste_<queue>_truncate. The primary key is read now
--      and baked into the triggers' arguments; after changing a table's
--      primary key, add it again.
--
--      Over Lambdiste's own queue the row triggers call a function made for
--      this table and queue, lambdiste."capture_<hash>", whose statements
--      are static (the key columns written in), so PL/pgSQL plans them once
--      per session: a statement's events cost one insert ... select from
--      the transition table straight into the queue's partitioned event
--      table (what pgq.insert_event does, per statement instead of per
--      row). Over a real PgQ they call lambdiste.capture_api, which goes
--      through pgq.insert_event.
--
--      An event must not depend on the session that wrote it: capture runs
--      in the application's session, with its settings. So the capture
--      functions fix every setting a value's text depends on (float
--      digits, date and interval styles, time zone, money locale, bytea
--      format) and a search_path of pg_catalog alone: nothing a writer puts
--      first in its path can stand in for a function or an operator here
--      (they run as their owner). Key columns are compared with their
--      index's own operators (lambdiste.key_operators).
-- Before i_rows_per_event there was a two-argument form: left in place by an
-- upgrade it would make two-argument calls ambiguous.
drop function if exists lambdiste.create_capture_triggers(text, regclass);

create or replace function lambdiste.create_capture_triggers(i_queue text, i_table regclass, i_rows_per_event integer default 200)
returns void
language plpgsql
as $$
declare
    _pk   text;
    _fn   text;
begin
    select string_agg(quote_literal(k), ', ' order by n) into _pk
      from unnest(lambdiste.primary_key(i_table)) with ordinality u(k, n);
    if _pk is null then
        raise exception 'Primary key missing on table: %', i_table using errcode = '42P10';
    end if;
    if i_rows_per_event is null or i_rows_per_event not between 1 and 1000 then
        raise exception 'Rows per event must be between 1 and 1000, not %', i_rows_per_event using errcode = '22023';
    end if;
    perform lambdiste.drop_capture_triggers(i_queue, i_table);
    if to_regclass('pgq.lambdiste_migration') is null then
        _fn := 'lambdiste.capture_api';
    else
        _fn := lambdiste.create_capture_function(i_queue, i_table, i_rows_per_event);
    end if;
    execute format('create trigger %I after insert on %s referencing new table as lambdiste_new'
                   ' for each statement execute function %s(%L, %s)',
                   lambdiste.capture_trigger_name(i_queue, '_ins'), i_table, _fn, i_queue, _pk);
    execute format('create trigger %I after update on %s referencing old table as lambdiste_old new table as lambdiste_new'
                   ' for each statement execute function %s(%L, %s)',
                   lambdiste.capture_trigger_name(i_queue, '_upd'), i_table, _fn, i_queue, _pk);
    execute format('create trigger %I after delete on %s referencing old table as lambdiste_old'
                   ' for each statement execute function %s(%L, %s)',
                   lambdiste.capture_trigger_name(i_queue, '_del'), i_table, _fn, i_queue, _pk);
    execute format('create trigger %I after truncate on %s for each statement'
                   ' execute function lambdiste.capture_truncate(%L)',
                   lambdiste.capture_trigger_name(i_queue, '_truncate'), i_table, i_queue);
end;
$$;

-- The capture function of a table and queue over Lambdiste's own queue
-- (see above), made anew; returns its qualified name. Replacing it takes no
-- lock on the table, so an upgrade remakes every one of them in place.
create or replace function lambdiste.create_capture_function(i_queue text, i_table regclass, i_rows_per_event integer)
returns text
language plpgsql
as $$
declare
    _fn       text := 'lambdiste.' || quote_ident(lambdiste.capture_function_name(i_queue, i_table));
    _vanished text;
    _new_row  text := lambdiste.capture_row_sql(i_table, 'lambdiste_new');
    _old_row  text := lambdiste.capture_row_sql(i_table, 'lambdiste_old');
begin
    -- Old rows whose key no update kept: their deletes come before the new rows.
    select format('not exists (select 1 from lambdiste_new where %s)',
                  string_agg(format('lambdiste_new.%1$I %2$s lambdiste_old.%1$I', key_name, eq), ' and ' order by key_position))
      into _vanished from lambdiste.key_operators(i_table);
    execute format($def$
        create or replace function %1$s() returns trigger language plpgsql security definer
            %12$s
        as $body$
        declare
            _table text := pg_catalog.quote_ident(TG_TABLE_SCHEMA) || '.' || pg_catalog.quote_ident(TG_TABLE_NAME);
            _q     record;
            _n     integer := 0;
            _k     integer;
        begin
            -- One query: the queue (its sequence as a regclass once, not a
            -- name to look up per row), whether the statement changed more
            -- than one row (single-row statements take the plain path,
            -- cheaper than the chunking), and whether its ticker sleeps.
            if TG_OP = 'DELETE' then
                select queue_id, queue_cur_table, queue_event_seq::regclass as seq, queue_disable_insert,
                       queue_per_tx_limit, %3$s (select from lambdiste_old offset 1) as many, %14$s as wake
                  into _q from pgq.queue where queue_name = %2$L;
            else
                select queue_id, queue_cur_table, queue_event_seq::regclass as seq, queue_disable_insert,
                       queue_per_tx_limit, %3$s (select from lambdiste_new offset 1) as many, %14$s as wake
                  into _q from pgq.queue where queue_name = %2$L;
            end if;
            if not found then
                raise exception 'No such queue' using errcode = 'XX000';
            end if;
            if _q.queue_disable_insert and current_setting('session_replication_role') <> 'replica' then
                raise exception 'Insert into queue disallowed' using errcode = 'XX000';
            end if;
            if TG_OP = 'INSERT' and _q.many then
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1) %4$s;
                get diagnostics _k = row_count; _n := _n + _k;
            elsif TG_OP = 'INSERT' then
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1) %5$s;
                get diagnostics _k = row_count; _n := _n + _k;
            elsif TG_OP = 'DELETE' and _q.many then
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1) %6$s;
                get diagnostics _k = row_count; _n := _n + _k;
            elsif TG_OP = 'DELETE' then
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1) %7$s;
                get diagnostics _k = row_count; _n := _n + _k;
            elsif _q.many then
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1) %8$s;
                get diagnostics _k = row_count; _n := _n + _k;
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1) %9$s;
                get diagnostics _k = row_count; _n := _n + _k;
            else
                -- The vanished key first, then the new row: one statement,
                -- whose branches run (and take their ids) in that order.
                insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1)
                %10$s
                union all
                %11$s;
                get diagnostics _n = row_count;
            end if;
            -- The queue's per-transaction limit counts these events too.
            if _q.queue_per_tx_limit is not null then
                perform pgq._count_tx_events(_q.queue_id, %2$L, _q.queue_per_tx_limit, _n);
            end if;
            -- The ticker sleeps until told (once per transaction: NOTIFY folds
            -- repeats); a ticker function that went to sleep is woken.
            perform pg_catalog.pg_notify(%13$L, '');
            if _q.wake then
                perform lambdiste.wake_ticker(%2$L);
            end if;
            return null;
        end
        $body$
    $def$, _fn, i_queue,
        -- With one row per event, no statement takes the chunked path.
        case when i_rows_per_event = 1 then 'false and exists' else 'exists' end,
        lambdiste.capture_events_select('I', 'lambdiste_new', _new_row, i_rows_per_event),
        lambdiste.capture_events_select('I', 'lambdiste_new', _new_row, 1),
        lambdiste.capture_events_select('D', 'lambdiste_old', _old_row, i_rows_per_event),
        lambdiste.capture_events_select('D', 'lambdiste_old', _old_row, 1),
        lambdiste.capture_events_select('D', 'lambdiste_old', _old_row, i_rows_per_event, _vanished),
        lambdiste.capture_events_select('U', 'lambdiste_new', _new_row, i_rows_per_event),
        lambdiste.capture_events_select('D', 'lambdiste_old', _old_row, 1, _vanished),
        lambdiste.capture_events_select('U', 'lambdiste_new', _new_row, 1),
        lambdiste.capture_settings(),
        lambdiste.queue_channel(i_queue, 'events'),
        -- Whether the queue's ticker function is asleep (lambdiste.wake_ticker).
        format('exists (select from lambdiste.ticker_wake where wake_queue = %L and wake_awake_until < pg_catalog.statement_timestamp())', i_queue));
    return _fn;
end;
$$;

-- After an upgrade: every capture function of the tables this node captures,
-- made again by this version's generator.
create or replace function lambdiste.refresh_capture_functions()
returns integer
language plpgsql
as $$
declare
    _t record;
    _n integer := 0;
begin
    if to_regclass('pgq.lambdiste_migration') is null then
        return 0;
    end if;
    for _t in
        select t.tbl_queue, to_regclass(t.tbl_name) as rel, coalesce((t.tbl_attrs ->> 'rows_per_event')::integer, 200) as rows
          from lambdiste.table_info t join lambdiste.node n on n.node_queue = t.tbl_queue and n.node_type = 'root'
    loop
        continue when _t.rel is null
               or to_regprocedure(format('lambdiste.%I()', lambdiste.capture_function_name(_t.tbl_queue, _t.rel))) is null;
        perform lambdiste.create_capture_function(_t.tbl_queue, _t.rel, _t.rows);
        _n := _n + 1;
    end loop;
    return _n;
end;
$$;

-- The SELECT, in a generated capture function, of the events of a
-- statement's rows from one transition table (i_rel), each row's text
-- being i_row (lambdiste.capture_row_sql): one event per row when i_rows
-- is 1 (ev_data the row's json object), else one per i_rows rows in order
-- (ev_data a json array of them); i_where filters the rows.
drop function if exists lambdiste.capture_events_select(text, text, integer, text);

create or replace function lambdiste.capture_events_select(i_type text, i_rel text, i_row text, i_rows integer, i_where text default null)
returns text
language sql immutable
as $$
    select format($sql$select _q.queue_id, _q.queue_cur_table, pg_catalog.nextval(_q.seq), pg_catalog.now(), %1$L, %2$s, _table
                      from %3$s$sql$,
        i_type,
        case when i_rows = 1 then i_row else $e$'[' || pg_catalog.string_agg(_r, ',') || ']'$e$ end,
        case when i_rows = 1 then i_rel || coalesce(' where ' || i_where, '')
             else format('(select %4$s as _r, (pg_catalog.row_number() over () - 1) / %2$s as _chunk'
                         ' from %1$s%3$s) _rows group by _chunk order by _chunk',
                         i_rel, i_rows, coalesce(' where ' || i_where, ''), i_row) end)
$$;

-- The SET clauses of a capture function: what the text of a value
-- depends on, fixed (see the head of this file).
create or replace function lambdiste.capture_settings()
returns text
language sql immutable
as $$
    select 'set search_path = pg_catalog, pg_temp set extra_float_digits = 3 set DateStyle = ''ISO, YMD'''
           ' set IntervalStyle = postgres set TimeZone = ''UTC'' set lc_monetary = ''C'' set bytea_output = hex'
$$;

-- A capture trigger's name: _lambdiste_<queue>_ins, _upd, _del, _truncate.
-- Names are identifiers of at most 63 bytes, and PostgreSQL cuts longer
-- ones, which would give a long queue's four triggers one name: a queue
-- whose names would not fit is named by a digest instead.
create or replace function lambdiste.capture_trigger_name(i_queue text, i_suffix text)
returns text
language sql immutable
as $$
    select case when pg_catalog.octet_length('_lambdiste_' || i_queue || i_suffix) <= 63
                then '_lambdiste_' || i_queue || i_suffix
                else '_lambdiste_' || pg_catalog.left(pg_catalog.md5(i_queue), 16) || i_suffix end
$$;

create or replace function lambdiste.drop_capture_triggers(i_queue text, i_table regclass)
returns void
language plpgsql
as $$
declare
    _suffix text;
begin
    foreach _suffix in array array['_ins', '_upd', '_del', '_truncate'] loop
        execute format('drop trigger if exists %I on %s', lambdiste.capture_trigger_name(i_queue, _suffix), i_table);
    end loop;
    execute format('drop function if exists lambdiste.%I()', lambdiste.capture_function_name(i_queue, i_table));
end;
$$;

-- The generated capture function's name: one per queue and table, whatever the search_path.
create or replace function lambdiste.capture_function_name(i_queue text, i_table regclass)
returns text
language sql stable
as $$
    select 'capture_' || left(md5(i_queue || '/' || n.nspname || '.' || c.relname), 16)
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.oid = i_table
$$;
