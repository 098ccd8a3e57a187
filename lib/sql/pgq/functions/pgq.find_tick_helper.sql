-- Function: pgq.find_tick_helper(6)
--
--      The end tick for a batch that should hold at least i_min_count
--      events or span at least i_min_interval (next_batch_custom), from the
--      start tick (id, time, event sequence value) of a queue:
--        * the queue's latest tick, when it reaches either goal and is not
--          more than twice past the goals given;
--        * otherwise, when the latest tick is further away, the first tick
--          that reaches either goal;
--        * nothing while even the latest tick reaches neither.
-- Returns:
--      next_tick_id, next_tick_time, next_tick_seq (all NULL for nothing)
create or replace function pgq.find_tick_helper(
    i_queue_id integer, i_prev_tick_id bigint, i_prev_tick_time timestamp with time zone,
    i_prev_tick_seq bigint, i_min_count bigint, i_min_interval interval,
    out next_tick_id bigint, out next_tick_time timestamp with time zone, out next_tick_seq bigint)
language plpgsql stable
as $$
declare
    _t       record;
    _reached boolean := false;
    _far     boolean := false;
begin
    select tick_id, tick_time, tick_event_seq into _t
      from pgq.tick
     where tick_queue = i_queue_id and tick_id > i_prev_tick_id
     order by tick_id desc limit 1;
    if not found then
        return;
    end if;
    if i_min_count is not null then
        _reached := _t.tick_event_seq - i_prev_tick_seq >= i_min_count;
        _far := _t.tick_event_seq - i_prev_tick_seq > i_min_count * 2;
    end if;
    if i_min_interval is not null then
        _reached := _reached or _t.tick_time - i_prev_tick_time >= i_min_interval;
        _far := _far or _t.tick_time - i_prev_tick_time > i_min_interval * 2;
    end if;
    if _far then
        select tick_id, tick_time, tick_event_seq into _t
          from pgq.tick
         where tick_queue = i_queue_id and tick_id > i_prev_tick_id
           and ((i_min_count is not null and tick_event_seq - i_prev_tick_seq >= i_min_count)
                or (i_min_interval is not null and tick_time - i_prev_tick_time >= i_min_interval))
         order by tick_id limit 1;
        _reached := true;
    end if;
    if _reached then
        next_tick_id := _t.tick_id;
        next_tick_time := _t.tick_time;
        next_tick_seq := _t.tick_event_seq;
    end if;
end;
$$;
