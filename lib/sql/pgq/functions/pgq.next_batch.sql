-- Function: pgq.next_batch_custom(5), pgq.next_batch_info(2), pgq.next_batch(2)
--
--      Opens the consumer's next batch: from its last finished tick to the
--      next tick. An open batch is returned again unchanged, so a consumer
--      that crashed gets the same batch back. With nothing new, batch_id is
--      NULL and the consumer should wait for the ticker.
--
--      next_batch_custom can make batches larger or wait for them:
--        i_min_lag       - only ticks at least this old
--        i_min_count     - the first tick with at least this many events since the last one
--        i_min_interval  - the first tick at least this long after the last one
--      When count or interval are given and no tick satisfies either yet,
--      there is no batch.
-- Returns:
--      batch_id, cur_tick_id, prev_tick_id, cur_tick_time, prev_tick_time,
--      cur_tick_event_seq, prev_tick_event_seq
-- Tables directly manipulated:
--      update - pgq.subscription
create or replace function pgq.next_batch_custom(
    i_queue_name text, i_consumer_name text,
    i_min_lag interval, i_min_count integer, i_min_interval interval,
    out batch_id bigint, out cur_tick_id bigint, out prev_tick_id bigint,
    out cur_tick_time timestamptz, out prev_tick_time timestamptz,
    out cur_tick_event_seq bigint, out prev_tick_event_seq bigint)
language plpgsql
as $$
declare
    _sub  pgq.subscription := pgq.find_subscription(i_queue_name, i_consumer_name, true);
    _prev pgq.tick;
    _next pgq.tick;
begin
    select * into _prev from pgq.tick
     where tick_queue = _sub.sub_queue and tick_id = _sub.sub_last_tick;
    if not found then
        raise exception 'Position of consumer % on queue % is lost (tick % is gone)',
            i_consumer_name, i_queue_name, _sub.sub_last_tick using errcode = '55000';
    end if;

    if _sub.sub_batch is not null then
        select * into _next from pgq.tick
         where tick_queue = _sub.sub_queue and tick_id = _sub.sub_next_tick;
        batch_id := _sub.sub_batch;
    else
        select t.* into _next from pgq.tick t
         where t.tick_queue = _sub.sub_queue
           and t.tick_id > _sub.sub_last_tick
           and (i_min_lag is null or t.tick_time <= now() - i_min_lag)
           and ((i_min_count is null and i_min_interval is null)
                or t.tick_event_seq - _prev.tick_event_seq >= i_min_count
                or t.tick_time - _prev.tick_time >= i_min_interval)
         order by t.tick_id
         limit 1;
        if not found then
            update pgq.subscription set sub_active = now() where sub_id = _sub.sub_id;
            return;
        end if;
        batch_id := nextval('pgq.batch_id_seq');
        update pgq.subscription
           set sub_batch = batch_id, sub_next_tick = _next.tick_id, sub_active = now()
         where sub_id = _sub.sub_id;
    end if;

    cur_tick_id := _next.tick_id;
    cur_tick_time := _next.tick_time;
    cur_tick_event_seq := _next.tick_event_seq;
    prev_tick_id := _prev.tick_id;
    prev_tick_time := _prev.tick_time;
    prev_tick_event_seq := _prev.tick_event_seq;
end;
$$;

create or replace function pgq.next_batch_info(
    i_queue_name text, i_consumer_name text,
    out batch_id bigint, out cur_tick_id bigint, out prev_tick_id bigint,
    out cur_tick_time timestamptz, out prev_tick_time timestamptz,
    out cur_tick_event_seq bigint, out prev_tick_event_seq bigint)
language sql
as $$ select * from pgq.next_batch_custom(i_queue_name, i_consumer_name, null, null, null) $$;

create or replace function pgq.next_batch(i_queue_name text, i_consumer_name text)
returns bigint
language sql
as $$ select batch_id from pgq.next_batch_custom(i_queue_name, i_consumer_name, null, null, null) $$;
