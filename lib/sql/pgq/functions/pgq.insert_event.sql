-- Function: pgq.insert_event(3), pgq.insert_event(7)
--
--      Queues one event of the given type with its payload and up to four
--      extra fields, in the caller's transaction (see pgq.insert_event_raw).
--      Security definer, so that a producer needs EXECUTE on these
--      (pgq_writer) and no rights on the event tables. No SET clause on this
--      hot path: every name in it is schema-qualified, so the caller's
--      search_path cannot divert it.
-- Returns:
--      the event id
create or replace function pgq.insert_event(queue_name text, ev_type text, ev_data text)
returns bigint
language sql
as $$
    select pgq.insert_event($1, $2, $3, null, null, null, null);
$$;

create or replace function pgq.insert_event(
    queue_name text, ev_type text, ev_data text,
    ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text)
returns bigint
language sql
security definer
as $$
    select pgq.insert_event_raw($1, null, pg_catalog.now(), null, null, $2, $3, $4, $5, $6, $7);
$$;
