-- Function: pgq.get_batch_info(1)
--
--      Describes an open batch; every field is NULL for a batch that is
--      unknown or already finished.
-- Returns:
--      queue_name, consumer_name, batch_start, batch_end, prev_tick_id,
--      tick_id, lag, seq_start, seq_end
create or replace function pgq.get_batch_info(
    x_batch_id bigint,
    out queue_name text, out consumer_name text,
    out batch_start timestamp with time zone, out batch_end timestamp with time zone,
    out prev_tick_id bigint, out tick_id bigint, out lag interval,
    out seq_start bigint, out seq_end bigint)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    select q.queue_name, c.co_name, p.tick_time, n.tick_time, s.sub_last_tick, s.sub_next_tick,
           current_timestamp - n.tick_time, p.tick_event_seq, n.tick_event_seq
      into queue_name, consumer_name, batch_start, batch_end, prev_tick_id, tick_id,
           lag, seq_start, seq_end
      from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.consumer c on c.co_id = s.sub_consumer
      join pgq.tick p on p.tick_queue = s.sub_queue and p.tick_id = s.sub_last_tick
      join pgq.tick n on n.tick_queue = s.sub_queue and n.tick_id = s.sub_next_tick
     where s.sub_batch = x_batch_id;
end;
$$;
