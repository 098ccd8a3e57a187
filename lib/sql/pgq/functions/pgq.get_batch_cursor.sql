-- Function: pgq.get_batch_cursor(4), pgq.get_batch_cursor(3)
--
--      Opens a cursor named i_cursor_name over the batch's events (ordered
--      by event id, optionally filtered by i_extra_where) and returns the
--      first i_quick_limit of them. The caller fetches the rest with
--      FETCH n FROM cursor, in the same transaction.
create or replace function pgq.get_batch_cursor(
    i_batch_id bigint, i_cursor_name text, i_quick_limit integer, i_extra_where text,
    out ev_id bigint, out ev_time timestamptz, out ev_txid bigint, out ev_retry integer,
    out ev_type text, out ev_data text,
    out ev_extra1 text, out ev_extra2 text, out ev_extra3 text, out ev_extra4 text)
returns setof record
language plpgsql
as $$
declare
    _cur refcursor := i_cursor_name;
    _n   integer := 0;
begin
    open _cur no scroll for execute pgq.batch_event_sql(i_batch_id, i_extra_where);
    while _n < coalesce(i_quick_limit, 0) loop
        fetch _cur into ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data,
                        ev_extra1, ev_extra2, ev_extra3, ev_extra4;
        exit when not found;
        _n := _n + 1;
        return next;
    end loop;
end;
$$;

create or replace function pgq.get_batch_cursor(
    i_batch_id bigint, i_cursor_name text, i_quick_limit integer,
    out ev_id bigint, out ev_time timestamptz, out ev_txid bigint, out ev_retry integer,
    out ev_type text, out ev_data text,
    out ev_extra1 text, out ev_extra2 text, out ev_extra3 text, out ev_extra4 text)
returns setof record
language sql
as $$ select * from pgq.get_batch_cursor(i_batch_id, i_cursor_name, i_quick_limit, null) $$;
