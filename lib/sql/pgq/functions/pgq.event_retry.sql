-- Function: pgq.event_retry(3), pgq.batch_retry(2)
--
--      Puts an event of an open batch aside, to come back to the same
--      consumer (and only to it) in a later batch, once i_retry_time has
--      come (or after i_retry_seconds). batch_retry does it for every
--      event of the batch.
-- Returns:
--      event_retry: 1 if queued for retry, 0 if it already was;
--      batch_retry: the number of events queued.
-- Tables directly manipulated:
--      insert - pgq.retry_queue
create or replace function pgq.retry_batch_events(i_batch_id bigint, i_extra_where text, i_retry_time timestamptz)
returns integer
language plpgsql
as $$
declare
    _sub pgq.subscription := pgq.find_batch(i_batch_id);
    _n   integer;
begin
    if i_retry_time is null then
        raise exception 'Retry time must not be NULL' using errcode = '22004';
    end if;
    execute format(
        'insert into pgq.retry_queue (ev_retry_after, ev_queue, ev_id, ev_time, ev_txid, ev_owner,'
        ' ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
        ' select $1, $2, e.ev_id, e.ev_time, e.ev_txid::text::xid8, $3, coalesce(e.ev_retry, 0) + 1,'
        ' e.ev_type, e.ev_data, e.ev_extra1, e.ev_extra2, e.ev_extra3, e.ev_extra4'
        ' from (%s) e on conflict do nothing',
        pgq.batch_event_sql(i_batch_id, i_extra_where))
        using i_retry_time, _sub.sub_queue, _sub.sub_id;
    get diagnostics _n = row_count;
    return _n;
end;
$$;

create or replace function pgq.event_retry(i_batch_id bigint, i_event_id bigint, i_retry_time timestamptz)
returns integer
language plpgsql
as $$
declare
    _n integer;
begin
    if i_event_id is null then
        raise exception 'Event id must not be NULL' using errcode = '22004';
    end if;
    _n := pgq.retry_batch_events(i_batch_id, format('ev.ev_id = %s', i_event_id), i_retry_time);
    if _n = 0 then
        perform 1 from pgq.retry_queue r join pgq.subscription s on s.sub_id = r.ev_owner
         where s.sub_batch = i_batch_id and r.ev_id = i_event_id;
        if not found then
            raise exception 'Event % is not in batch %', i_event_id, i_batch_id using errcode = 'P0002';
        end if;
    end if;
    return _n;
end;
$$;

create or replace function pgq.event_retry(i_batch_id bigint, i_event_id bigint, i_retry_seconds integer)
returns integer
language sql
as $$ select pgq.event_retry(i_batch_id, i_event_id, now() + make_interval(secs => i_retry_seconds)) $$;

create or replace function pgq.batch_retry(i_batch_id bigint, i_retry_seconds integer)
returns integer
language sql
as $$ select pgq.retry_batch_events(i_batch_id, null, now() + make_interval(secs => i_retry_seconds)) $$;
