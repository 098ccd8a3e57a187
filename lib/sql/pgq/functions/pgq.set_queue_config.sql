-- Function: pgq.set_queue_config(3)
--
--      Changes one setting of a queue, by its column name without the
--      queue_ prefix: ticker_max_count, ticker_max_lag, ticker_idle_period,
--      ticker_paused, rotation_period, external_ticker. (The others, such
--      as disable_insert and per_tx_limit, are not settable here in PgQ
--      either: an UPDATE of pgq.queue sets them.)
-- Returns:
--      1
-- Tables directly manipulated:
--      update - pgq.queue
create or replace function pgq.set_queue_config(x_queue_name text, x_param_name text, x_param_value text)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _col text;
begin
    if x_queue_name is null or x_param_name is null then
        raise exception 'Invalid NULL value';
    end if;
    perform 1 from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'No such event queue';
    end if;
    _col := 'queue_' || x_param_name;
    if _col not in ('queue_ticker_max_count', 'queue_ticker_max_lag', 'queue_ticker_idle_period',
                    'queue_ticker_paused', 'queue_rotation_period', 'queue_external_ticker') then
        -- PgQ's text, its stray "s" included.
        raise exception 'cannot change parameter "%s"', x_param_name;
    end if;
    execute format('update pgq.queue set %I = %L where queue_name = %L', _col, x_param_value, x_queue_name);
    return 1;
end;
$$;
