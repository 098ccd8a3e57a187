-- Function: pgq.batch_retry(2)
--
--      pgq.event_retry for every event of an open batch that is not set
--      aside already.
-- Returns:
--      the number of events queued for retry
-- Tables directly manipulated:
--      insert - pgq.retry_queue
create or replace function pgq.batch_retry(i_batch_id bigint, i_retry_seconds integer)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _sub record;
    _n   integer;
begin
    select sub_id, sub_queue into _sub from pgq.subscription where sub_batch = i_batch_id;
    if not found then
        raise exception 'batch_retry: batch % not found', i_batch_id;
    end if;
    insert into pgq.retry_queue (ev_retry_after, ev_queue, ev_id, ev_time, ev_txid, ev_owner, ev_retry,
                                 ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    select distinct current_timestamp + (i_retry_seconds::text || ' seconds')::interval, _sub.sub_queue,
           e.ev_id, e.ev_time, null::xid8, _sub.sub_id, coalesce(e.ev_retry, 0) + 1,
           e.ev_type, e.ev_data, e.ev_extra1, e.ev_extra2, e.ev_extra3, e.ev_extra4
      from pgq.get_batch_events(i_batch_id) e
        on conflict (ev_owner, ev_id) do nothing;
    get diagnostics _n = row_count;
    return _n;
end;
$$;
