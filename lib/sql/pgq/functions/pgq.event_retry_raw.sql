-- Function: pgq.event_retry_raw(12)
--
--      Puts any event into the retry queue of a consumer, to be moved into
--      the queue for that consumer alone once x_retry_after has come
--      (pgq.maint_retry_events). A NULL x_ev_id takes the next id of the
--      queue's event sequence.
-- Returns:
--      the event id
-- Tables directly manipulated:
--      insert - pgq.retry_queue
create or replace function pgq.event_retry_raw(
    x_queue text, x_consumer text, x_retry_after timestamp with time zone,
    x_ev_id bigint, x_ev_time timestamp with time zone, x_ev_retry integer,
    x_ev_type text, x_ev_data text, x_ev_extra1 text, x_ev_extra2 text, x_ev_extra3 text, x_ev_extra4 text)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _s  record;
    _id bigint := x_ev_id;
begin
    select s.sub_id, s.sub_queue, q.queue_event_seq into _s
      from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.consumer c on c.co_id = s.sub_consumer
     where q.queue_name = x_queue and c.co_name = x_consumer;
    if not found then
        raise exception 'consumer not registered';
    end if;
    if _id is null then
        _id := nextval(_s.queue_event_seq::regclass);
    end if;
    insert into pgq.retry_queue (ev_retry_after, ev_queue, ev_id, ev_time, ev_owner, ev_retry,
                                 ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    values (x_retry_after, _s.sub_queue, _id, x_ev_time, _s.sub_id, x_ev_retry,
            x_ev_type, x_ev_data, x_ev_extra1, x_ev_extra2, x_ev_extra3, x_ev_extra4);
    return _id;
end;
$$;
