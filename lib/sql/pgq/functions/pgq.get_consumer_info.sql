-- Function: pgq.get_consumer_info(0), (1), (2)
--
--      State of every consumer, of every consumer of a queue, or of one
--      (no row for an unknown one), in queue and consumer name order.
-- Returns:
--      queue_name, consumer_name, lag (age of the consumer's position),
--      last_seen (since it last opened or finished a batch), last_tick,
--      current_batch, next_tick, pending_events (events ticked but not yet
--      consumed, from the event sequence: an estimate).
create or replace function pgq.get_consumer_info(
    out queue_name text, out consumer_name text, out lag interval, out last_seen interval,
    out last_tick bigint, out current_batch bigint, out next_tick bigint, out pending_events bigint)
returns setof record
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$ select * from pgq.get_consumer_info(null, null) $$;

create or replace function pgq.get_consumer_info(
    i_queue_name text,
    out queue_name text, out consumer_name text, out lag interval, out last_seen interval,
    out last_tick bigint, out current_batch bigint, out next_tick bigint, out pending_events bigint)
returns setof record
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$ select * from pgq.get_consumer_info(i_queue_name, null) $$;

create or replace function pgq.get_consumer_info(
    i_queue_name text, i_consumer_name text,
    out queue_name text, out consumer_name text, out lag interval, out last_seen interval,
    out last_tick bigint, out current_batch bigint, out next_tick bigint, out pending_events bigint)
returns setof record
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$
    select q.queue_name, c.co_name, current_timestamp - t.tick_time, current_timestamp - s.sub_active,
           s.sub_last_tick, s.sub_batch, s.sub_next_tick,
           (select tl.tick_event_seq from pgq.tick tl where tl.tick_queue = q.queue_id
             order by tl.tick_id desc limit 1) - t.tick_event_seq
      from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.consumer c on c.co_id = s.sub_consumer
      left join pgq.tick t on t.tick_queue = s.sub_queue and t.tick_id = s.sub_last_tick
     where (i_queue_name is null or q.queue_name = i_queue_name)
       and (i_consumer_name is null or c.co_name = i_consumer_name)
     order by 1, 2
$$;
