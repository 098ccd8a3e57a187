-- Function: pgq.insert_event_raw(11)
--
--      Inserts an event into the queue's current event table. Every call
--      draws from the queue's event sequence, even when an event id is
--      given: the ticker counts new events by watching that sequence.
--      The event becomes visible to consumers in the first batch whose end
--      tick sees its transaction committed.
-- Returns:
--      the event id
-- Tables directly manipulated:
--      insert - pgq.event_<queue>_<n>
create or replace function pgq.insert_event_raw(
    i_queue_name text, i_ev_id bigint, i_ev_time timestamptz,
    i_ev_owner integer, i_ev_retry integer, i_ev_type text, i_ev_data text,
    i_ev_extra1 text, i_ev_extra2 text, i_ev_extra3 text, i_ev_extra4 text)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog
as $$
declare
    _q     record;
    _id    bigint;
begin
    select queue_id, queue_data_pfx, queue_cur_table, queue_event_seq, queue_disable_insert
      into _q
      from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'Queue not found: %', coalesce(i_queue_name, '<null>')
            using errcode = 'P0002';
    end if;
    if _q.queue_disable_insert and current_setting('session_replication_role') <> 'replica' then
        raise exception 'Insert into queue % is disabled', i_queue_name using errcode = '55000';
    end if;
    _id := nextval(_q.queue_event_seq);
    execute format('insert into %s_%s (ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,'
                   ' ev_extra1, ev_extra2, ev_extra3, ev_extra4)'
                   ' values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
                   _q.queue_data_pfx, _q.queue_cur_table)
        using coalesce(i_ev_id, _id), coalesce(i_ev_time, now()), i_ev_owner, i_ev_retry,
              i_ev_type, i_ev_data, i_ev_extra1, i_ev_extra2, i_ev_extra3, i_ev_extra4;
    return coalesce(i_ev_id, _id);
end;
$$;
