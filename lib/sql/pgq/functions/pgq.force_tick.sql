-- Function: pgq.force_tick(1)
--
--      Makes the next ticker(queue) call tick whatever the settings, as PgQ
--      does: the event sequence jumps by ticker_max_count * 2 + 1000, as if
--      that many events had come. (Calling the ticker itself from a second
--      session would not be safe: see pgq.ticker.) Queues that are paused or
--      ticked externally are left alone; an unknown queue is no error.
-- Returns:
--      the id of the queue's last tick so far (NULL for an unknown queue).
create or replace function pgq.force_tick(i_queue_name text)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _q record;
begin
    select queue_id, queue_event_seq, queue_ticker_max_count into _q
      from pgq.queue
     where queue_name = i_queue_name and not queue_external_ticker and not queue_ticker_paused;
    if found then
        perform setval(_q.queue_event_seq::regclass,
                       nextval(_q.queue_event_seq::regclass) + _q.queue_ticker_max_count * 2 + 1000);
    end if;
    return (select t.tick_id from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue
             where q.queue_name = i_queue_name order by t.tick_id desc limit 1);
end;
$$;
