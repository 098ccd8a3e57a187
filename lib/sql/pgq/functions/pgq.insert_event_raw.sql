-- Function: pgq.insert_event_raw(11)
--
--      Inserts an event into the queue's current event table. Every call
--      draws from the queue's event sequence, even when an event id is
--      given: the ticker counts new events by watching that sequence.
--      The event becomes visible to consumers in the first batch whose end
--      tick sees its transaction committed. Security definer so that
--      writers need no rights on the event tables; every name in it is
--      schema-qualified and operators resolve in pg_catalog first, so the
--      caller's search_path cannot divert it (a SET clause would cost more
--      than the insert itself on this hot path).
-- Returns:
--      the event id
-- Tables directly manipulated:
--      insert - pgq.event_template (routed to pgq.event_<queue>_<n>)
create or replace function pgq.insert_event_raw(
    i_queue_name text, i_ev_id bigint, i_ev_time timestamptz,
    i_ev_owner integer, i_ev_retry integer, i_ev_type text, i_ev_data text,
    i_ev_extra1 text, i_ev_extra2 text, i_ev_extra3 text, i_ev_extra4 text)
returns bigint
language plpgsql
security definer
as $$
declare
    _q     record;
    _id    bigint;
begin
    select queue_id, queue_cur_table, queue_event_seq, queue_disable_insert
      into _q
      from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'Queue not found: %', coalesce(i_queue_name, '<null>')
            using errcode = 'P0002';
    end if;
    if _q.queue_disable_insert and current_setting('session_replication_role') <> 'replica' then
        raise exception 'Insert into queue % is disabled', i_queue_name using errcode = '55000';
    end if;
    _id := pg_catalog.nextval(_q.queue_event_seq);
    insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_owner, ev_retry, ev_type, ev_data,
                                    ev_extra1, ev_extra2, ev_extra3, ev_extra4)
    values (_q.queue_id, _q.queue_cur_table, coalesce(i_ev_id, _id), coalesce(i_ev_time, pg_catalog.now()),
            i_ev_owner, i_ev_retry, i_ev_type, i_ev_data, i_ev_extra1, i_ev_extra2, i_ev_extra3, i_ev_extra4);
    return coalesce(i_ev_id, _id);
end;
$$;
