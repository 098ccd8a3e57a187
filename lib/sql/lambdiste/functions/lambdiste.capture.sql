-- Function: lambdiste.capture_api(), lambdiste.capture_truncate()
--
--      Capture triggers of replicated tables on the root: statement-level,
--      with transition tables (lambdiste_old, lambdiste_new). Events, in the
--      statement's order:
--        ev_type    I, U, D (R for TRUNCATE)
--        ev_data    the row as json (the old row for D): json, not jsonb, so
--                   that a json column's text arrives byte for byte
--        ev_extra1  the table, schema.name quoted as needed
--      An UPDATE gives a D for every old key no new row has (the primary
--      key moved), then a U per new row: replayed in that order, the
--      subscriber ends with exactly the statement's result, key changes
--      and key swaps included (Londiste refuses primary-key updates).
--      Trigger arguments: the queue, then the primary key columns (fixed
--      when the trigger is made).
--      capture_api goes through pgq.insert_event, one call per row, and
--      serves a real PgQ. Over Lambdiste's own queue each table gets a
--      generated function instead (lambdiste.create_capture_triggers) that
--      writes a statement's events in one static insert.
--      The transition tables are named in full, never aliased: a column
--      with the alias's name would win.
--      Each notifies the queue's events channel (lambdiste.queue_channel),
--      which wakes the ticker.
--      Ordinary triggers: they do not fire while a subscriber applies
--      changes with session_replication_role = replica.
--      Both run with the settings of lambdiste.capture_settings (an event
--      must not depend on the writer's session); capture_api writes plain
--      row_to_json, so over a real PgQ an array's lower bounds and a json
--      column's JSON null are not carried (lambdiste.capture_row_sql).
create or replace function lambdiste.capture_api()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp set extra_float_digits = 3 set DateStyle = 'ISO, YMD'
set IntervalStyle = postgres set TimeZone = 'UTC' set lc_monetary = 'C' set bytea_output = hex
as $$
declare
    _table  text := quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME);
    _match  text;
    _ev     record;
begin
    if TG_OP = 'INSERT' then
        perform pgq.insert_event(TG_ARGV[0], 'I', row_to_json(lambdiste_new)::text, _table, null, null, null) from lambdiste_new;
    elsif TG_OP = 'DELETE' then
        perform pgq.insert_event(TG_ARGV[0], 'D', row_to_json(lambdiste_old)::text, _table, null, null, null) from lambdiste_old;
    else
        select string_agg(format('lambdiste_new.%1$I %2$s lambdiste_old.%1$I', key_name, eq), ' and ' order by key_position)
          into _match from lambdiste.key_operators(TG_RELID);
        for _ev in execute format('select row_to_json(lambdiste_old)::text as d from lambdiste_old'
                                  ' where not exists (select 1 from lambdiste_new where %s)', _match) loop
            perform pgq.insert_event(TG_ARGV[0], 'D', _ev.d, _table, null, null, null);
        end loop;
        perform pgq.insert_event(TG_ARGV[0], 'U', row_to_json(lambdiste_new)::text, _table, null, null, null) from lambdiste_new;
    end if;
    perform pg_notify(lambdiste.queue_channel(TG_ARGV[0], 'events'), '');
    perform lambdiste.wake_ticker(TG_ARGV[0]);
    return null;
end;
$$;

create or replace function lambdiste.capture_truncate()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pgq.insert_event(TG_ARGV[0], 'R', null,
                             quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), null, null, null);
    perform pg_notify(lambdiste.queue_channel(TG_ARGV[0], 'events'), '');
    perform lambdiste.wake_ticker(TG_ARGV[0]);
    return null;
end;
$$;
