-- Function: pgq.get_batch_cursor(4), pgq.get_batch_cursor(3)
--
--      Declares a cursor named i_cursor_name over the batch's events, in
--      event id order, and returns the first i_quick_limit of them. The
--      caller fetches the rest with FETCH n FROM cursor, in the same
--      transaction. i_extra_where filters the events: a condition over the
--      event columns (ev_id, ev_type, ev_extra1, ...), written without a
--      table alias. With a NULL batch, cursor name or limit, nothing is
--      declared.
create or replace function pgq.get_batch_cursor(
    i_batch_id bigint, i_cursor_name text, i_quick_limit integer, i_extra_where text,
    out ev_id bigint, out ev_time timestamp with time zone, out ev_txid bigint, out ev_retry integer,
    out ev_type text, out ev_data text,
    out ev_extra1 text, out ev_extra2 text, out ev_extra3 text, out ev_extra4 text)
returns setof record
language plpgsql
as $$
declare
    _sql text;
begin
    if i_batch_id is null or i_cursor_name is null or i_quick_limit is null then
        return;
    end if;
    _sql := pgq.batch_event_sql(i_batch_id);
    if i_extra_where is not null then
        _sql := 'select * from (' || pg_catalog.left(_sql, -pg_catalog.length(' order by 1')) || ') _evs where '
                || i_extra_where || ' order by 1';
    end if;
    execute 'declare ' || pg_catalog.quote_ident(i_cursor_name) || ' no scroll cursor for ' || _sql;
    if i_quick_limit <= 0 then
        return;
    end if;
    return query execute 'fetch ' || i_quick_limit || ' from ' || pg_catalog.quote_ident(i_cursor_name);
end;
$$;

create or replace function pgq.get_batch_cursor(
    i_batch_id bigint, i_cursor_name text, i_quick_limit integer,
    out ev_id bigint, out ev_time timestamp with time zone, out ev_txid bigint, out ev_retry integer,
    out ev_type text, out ev_data text,
    out ev_extra1 text, out ev_extra2 text, out ev_extra3 text, out ev_extra4 text)
returns setof record
language sql strict
as $$ select * from pgq.get_batch_cursor(i_batch_id, i_cursor_name, i_quick_limit, null) $$;
