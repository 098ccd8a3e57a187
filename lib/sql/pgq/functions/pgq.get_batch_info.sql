-- Function: pgq.get_batch_info(1)
--
--      Describes an open batch.
-- Returns:
--      queue_name, consumer_name, batch_start, batch_end, prev_tick_id,
--      tick_id, lag, seq_start, seq_end
create or replace function pgq.get_batch_info(
    i_batch_id bigint,
    out queue_name text, out consumer_name text,
    out batch_start timestamptz, out batch_end timestamptz,
    out prev_tick_id bigint, out tick_id bigint, out lag interval,
    out seq_start bigint, out seq_end bigint)
language plpgsql
as $$
declare
    _sub pgq.subscription := pgq.find_batch(i_batch_id);
begin
    select q.queue_name, c.co_name, p.tick_time, n.tick_time, p.tick_id, n.tick_id,
           now() - n.tick_time, p.tick_event_seq, n.tick_event_seq
      into queue_name, consumer_name, batch_start, batch_end, prev_tick_id, tick_id,
           lag, seq_start, seq_end
      from pgq.queue q, pgq.consumer c, pgq.tick p, pgq.tick n
     where q.queue_id = _sub.sub_queue and c.co_id = _sub.sub_consumer
       and p.tick_queue = _sub.sub_queue and p.tick_id = _sub.sub_last_tick
       and n.tick_queue = _sub.sub_queue and n.tick_id = _sub.sub_next_tick;
end;
$$;
