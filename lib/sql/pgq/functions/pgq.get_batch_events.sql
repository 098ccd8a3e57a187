-- Function: pgq.get_batch_events(1)
--
--      All events of an open batch, ordered by event id. For batches too
--      large to hold at once, use pgq.get_batch_cursor.
create or replace function pgq.get_batch_events(
    x_batch_id bigint,
    out ev_id bigint, out ev_time timestamp with time zone, out ev_txid bigint, out ev_retry integer,
    out ev_type text, out ev_data text,
    out ev_extra1 text, out ev_extra2 text, out ev_extra3 text, out ev_extra4 text)
returns setof record
language plpgsql
as $$
begin
    return query execute pgq.batch_event_sql(x_batch_id);
end;
$$;
