-- Function: pgq.set_queue_config(3)
--
--      Changes one setting of a queue. Names may be given with or without
--      the queue_ prefix: ticker_max_count, ticker_max_lag,
--      ticker_idle_period, ticker_paused, rotation_period,
--      external_ticker, disable_insert, per_tx_limit.
-- Returns:
--      1
-- Tables directly manipulated:
--      update - pgq.queue
create or replace function pgq.set_queue_config(i_queue_name text, i_param text, i_value text)
returns integer
language plpgsql
as $$
declare
    _param text := regexp_replace(lower(coalesce(i_param, '')), '^queue_', '');
    _q pgq.queue;
begin
    _q := pgq.find_queue(i_queue_name, true);
    case _param
    when 'ticker_max_count' then
        update pgq.queue set queue_ticker_max_count = i_value::integer where queue_id = _q.queue_id;
    when 'ticker_max_lag' then
        update pgq.queue set queue_ticker_max_lag = i_value::interval where queue_id = _q.queue_id;
    when 'ticker_idle_period' then
        update pgq.queue set queue_ticker_idle_period = i_value::interval where queue_id = _q.queue_id;
    when 'ticker_paused' then
        update pgq.queue set queue_ticker_paused = i_value::boolean where queue_id = _q.queue_id;
    when 'rotation_period' then
        update pgq.queue set queue_rotation_period = i_value::interval where queue_id = _q.queue_id;
    when 'external_ticker' then
        update pgq.queue set queue_external_ticker = i_value::boolean where queue_id = _q.queue_id;
    when 'disable_insert' then
        update pgq.queue set queue_disable_insert = i_value::boolean where queue_id = _q.queue_id;
    when 'per_tx_limit' then
        update pgq.queue set queue_per_tx_limit = i_value::integer where queue_id = _q.queue_id;
    else
        raise exception 'Unknown queue setting: %', i_param using errcode = '22023';
    end case;
    return 1;
end;
$$;
