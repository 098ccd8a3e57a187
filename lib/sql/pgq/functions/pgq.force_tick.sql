-- Function: pgq.force_tick(1)
--
--      Makes the next ticker(queue) call tick, whatever the settings, by
--      moving the event sequence past ticker_max_count.
-- Returns:
--      the id of the last tick written so far.
create or replace function pgq.force_tick(i_queue_name text)
returns bigint
language plpgsql
as $$
declare
    _q pgq.queue := pgq.find_queue(i_queue_name);
    _last bigint;
begin
    select tick_event_seq into _last from pgq.tick
     where tick_queue = _q.queue_id order by tick_id desc limit 1;
    perform setval(_q.queue_event_seq,
                   greatest(coalesce(pg_sequence_last_value(_q.queue_event_seq::regclass), 0),
                            coalesce(_last, 0) + _q.queue_ticker_max_count) + 1);
    return (select max(tick_id) from pgq.tick where tick_queue = _q.queue_id);
end;
$$;
