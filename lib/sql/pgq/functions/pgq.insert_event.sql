-- Function: pgq.insert_event(3), pgq.insert_event(7)
--
--      Queues one event of the given type with its payload and up to four
--      extra fields, in the caller's transaction.
-- Returns:
--      the event id
create or replace function pgq.insert_event(i_queue_name text, i_ev_type text, i_ev_data text)
returns bigint
language sql
as $$
    select pgq.insert_event_raw(i_queue_name, null, now(), null, null,
                                i_ev_type, i_ev_data, null, null, null, null);
$$;

create or replace function pgq.insert_event(
    i_queue_name text, i_ev_type text, i_ev_data text,
    i_ev_extra1 text, i_ev_extra2 text, i_ev_extra3 text, i_ev_extra4 text)
returns bigint
language sql
as $$
    select pgq.insert_event_raw(i_queue_name, null, now(), null, null,
                                i_ev_type, i_ev_data, i_ev_extra1, i_ev_extra2, i_ev_extra3, i_ev_extra4);
$$;
