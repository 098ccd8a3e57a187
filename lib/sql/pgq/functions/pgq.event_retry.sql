-- Function: pgq.event_retry(3) with a time, pgq.event_retry(3) with seconds
--
--      Puts an event of an open batch aside, to come back to the same
--      consumer (and only to it) in a later batch, once x_retry_time has
--      come (or after x_retry_seconds): a copy with ev_retry one higher
--      goes to pgq.retry_queue, from where pgq.maint_retry_events moves it
--      back into the queue.
-- Returns:
--      1 if queued for retry, 0 if it already was.
-- Tables directly manipulated:
--      insert - pgq.retry_queue
create or replace function pgq.event_retry(x_batch_id bigint, x_event_id bigint, x_retry_time timestamp with time zone)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _sub record;
    _ev  record;
begin
    select sub_id, sub_queue into _sub from pgq.subscription where sub_batch = x_batch_id;
    if found then
        select * into _ev from pgq.get_batch_events(x_batch_id) e where e.ev_id = x_event_id;
    end if;
    if not found then
        raise exception 'event not found';
    end if;
    insert into pgq.retry_queue (ev_retry_after, ev_queue, ev_id, ev_time, ev_txid, ev_owner, ev_retry,
                                 ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    values (x_retry_time, _sub.sub_queue, _ev.ev_id, _ev.ev_time, null, _sub.sub_id, coalesce(_ev.ev_retry, 0) + 1,
            _ev.ev_type, _ev.ev_data, _ev.ev_extra1, _ev.ev_extra2, _ev.ev_extra3, _ev.ev_extra4)
        on conflict (ev_owner, ev_id) do nothing;
    return case when found then 1 else 0 end;
end;
$$;

create or replace function pgq.event_retry(x_batch_id bigint, x_event_id bigint, x_retry_seconds integer)
returns integer
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$
    select pgq.event_retry(x_batch_id, x_event_id, current_timestamp + (x_retry_seconds::text || ' seconds')::interval)
$$;
