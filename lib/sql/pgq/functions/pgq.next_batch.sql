-- Function: pgq.next_batch_custom(5), pgq.next_batch_info(2), pgq.next_batch(2)
--
--      Opens the consumer's next batch: from its last finished tick to a
--      later tick. An open batch is returned again unchanged, so a consumer
--      that crashed gets the same batch back. With nothing new, batch_id
--      (and every other field) is NULL and the consumer should wait.
--
--      next_batch_custom shapes batches as PgQ does:
--        i_min_count     - end at a tick with at least this many events
--        i_min_interval  - or at least this long after the start tick
--          (with either, pgq.find_tick_helper picks the tick: the latest
--          one when it is at most twice past the goal, else the first that
--          reaches it; no batch while none does)
--        i_min_lag       - no batch while the chosen end tick is younger
-- Returns:
--      batch_id, cur_tick_id, prev_tick_id, cur_tick_time, prev_tick_time,
--      cur_tick_event_seq, prev_tick_event_seq
-- Tables directly manipulated:
--      update - pgq.subscription
create or replace function pgq.next_batch_custom(
    i_queue_name text, i_consumer_name text,
    i_min_lag interval, i_min_count integer, i_min_interval interval,
    out batch_id bigint, out cur_tick_id bigint, out prev_tick_id bigint,
    out cur_tick_time timestamp with time zone, out prev_tick_time timestamp with time zone,
    out cur_tick_event_seq bigint, out prev_tick_event_seq bigint)
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _sub record;
begin
    -- Locked: two sessions of one consumer get the same batch.
    select s.sub_id, s.sub_queue, s.sub_batch, s.sub_last_tick,
           t1.tick_id as prev_id, t1.tick_time as prev_time, t1.tick_event_seq as prev_seq,
           t2.tick_id as cur_id, t2.tick_time as cur_time, t2.tick_event_seq as cur_seq
      into _sub
      from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.consumer c on c.co_id = s.sub_consumer
      left join pgq.tick t1 on t1.tick_queue = s.sub_queue and t1.tick_id = s.sub_last_tick
      left join pgq.tick t2 on t2.tick_queue = s.sub_queue and t2.tick_id = s.sub_next_tick
     where q.queue_name = i_queue_name and c.co_name = i_consumer_name
       for update of s;
    if not found then
        raise exception '%', 'Not subscriber to queue: ' || coalesce(i_queue_name, 'NULL')
                             || '/' || coalesce(i_consumer_name, 'NULL');
    end if;
    if _sub.prev_id is null then
        raise exception 'PgQ corruption: Consumer % on queue % does not see tick %',
            i_consumer_name, i_queue_name, _sub.prev_id;
    end if;

    prev_tick_id := _sub.prev_id;
    prev_tick_time := _sub.prev_time;
    prev_tick_event_seq := _sub.prev_seq;
    if _sub.sub_batch is not null then
        batch_id := _sub.sub_batch;
        cur_tick_id := _sub.cur_id;
        cur_tick_time := _sub.cur_time;
        cur_tick_event_seq := _sub.cur_seq;
        return;
    end if;

    if i_min_count is null and i_min_interval is null then
        select tick_id, tick_time, tick_event_seq into cur_tick_id, cur_tick_time, cur_tick_event_seq
          from pgq.tick
         where tick_queue = _sub.sub_queue and tick_id > _sub.sub_last_tick
         order by tick_id limit 1;
    else
        select h.next_tick_id, h.next_tick_time, h.next_tick_seq
          into cur_tick_id, cur_tick_time, cur_tick_event_seq
          from pgq.find_tick_helper(_sub.sub_queue, _sub.prev_id, _sub.prev_time, _sub.prev_seq,
                                    i_min_count, i_min_interval) h;
    end if;
    if i_min_lag is not null and now() - cur_tick_time < i_min_lag then
        cur_tick_id := null;
    end if;
    if cur_tick_id is null then
        cur_tick_time := null;
        cur_tick_event_seq := null;
        prev_tick_id := null;
        prev_tick_time := null;
        prev_tick_event_seq := null;
        return;
    end if;

    batch_id := nextval('pgq.batch_id_seq');
    update pgq.subscription
       set sub_batch = batch_id, sub_next_tick = cur_tick_id, sub_active = now()
     where sub_id = _sub.sub_id and sub_queue = _sub.sub_queue;
end;
$$;

create or replace function pgq.next_batch_info(
    i_queue_name text, i_consumer_name text,
    out batch_id bigint, out cur_tick_id bigint, out prev_tick_id bigint,
    out cur_tick_time timestamp with time zone, out prev_tick_time timestamp with time zone,
    out cur_tick_event_seq bigint, out prev_tick_event_seq bigint)
language sql
set search_path = pg_catalog, pg_temp
as $$ select * from pgq.next_batch_custom(i_queue_name, i_consumer_name, null, null, null) $$;

create or replace function pgq.next_batch(i_queue_name text, i_consumer_name text)
returns bigint
language sql
set search_path = pg_catalog, pg_temp
as $$ select batch_id from pgq.next_batch_custom(i_queue_name, i_consumer_name, null, null, null) $$;
