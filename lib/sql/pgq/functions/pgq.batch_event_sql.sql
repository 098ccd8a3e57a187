-- Function: pgq.batch_event_sql(1)
--
--      The query that returns a batch's events, ordered by event id.
--
--      An event belongs to the batch when its transaction is visible in the
--      end tick's snapshot and not in the start tick's. Each committed
--      transaction becomes visible in exactly one such interval, so each
--      event is in exactly one batch of every consumer, however long its
--      transaction stayed open.
--
--      Per event table that can hold the batch (pgq.batch_event_tables) the
--      query scans a txid range from the start snapshot's xmax to the end
--      snapshot's xmax; transactions that were still running at the start
--      tick and finished since are added by exact txid (or, when they are
--      within 100 of the range, by lowering its start). Retried events come
--      back only to the consumer that retried them. The snapshots are
--      written into the query as literals.
-- Returns:
--      the SQL text, columns as pgq.get_batch_events returns them
create or replace function pgq.batch_event_sql(x_batch_id bigint)
returns text
language plpgsql
as $$
declare
    _b     record;
    _lo    xid8;
    _xid   xid8;
    _list  text := '';
    _tbl   text;
    _cols  text := 'select ev.ev_id, ev.ev_time, ev.ev_txid::pg_catalog.text::bigint as ev_txid, ev.ev_retry,'
                   ' ev.ev_type, ev.ev_data, ev.ev_extra1, ev.ev_extra2, ev.ev_extra3, ev.ev_extra4';
    _own   text;
    _sql   text := '';
begin
    select s.sub_id, p.tick_snapshot as prev_snap, n.tick_snapshot as cur_snap
      into _b
      from pgq.subscription s
      join pgq.tick p on p.tick_queue = s.sub_queue and p.tick_id = s.sub_last_tick
      join pgq.tick n on n.tick_queue = s.sub_queue and n.tick_id = s.sub_next_tick
     where s.sub_batch = x_batch_id;
    if not found then
        raise exception 'batch not found';
    end if;

    _lo := pg_catalog.pg_snapshot_xmax(_b.prev_snap);
    for _xid in
        select x from pg_catalog.pg_snapshot_xip(_b.prev_snap) x
         where pg_catalog.pg_visible_in_snapshot(x, _b.cur_snap)
         order by x desc
    loop
        if _xid::pg_catalog.text::numeric >= _lo::pg_catalog.text::numeric - 100 then
            _lo := _xid;
        else
            _list := _list || case when _list = '' then '' else ',' end || pg_catalog.quote_literal(_xid::pg_catalog.text);
        end if;
    end loop;

    _own := pg_catalog.format(' and (ev.ev_owner is null or ev.ev_owner operator(pg_catalog.=) %s)', _b.sub_id);
    for _tbl in select t from pgq.batch_event_tables(x_batch_id) t loop
        _sql := _sql || case when _sql = '' then '' else ' union all ' end
            || pg_catalog.format(
                   '%s from %s ev where ev.ev_txid operator(pg_catalog.>=) %L::pg_catalog.xid8'
                   ' and ev.ev_txid operator(pg_catalog.<=) %L::pg_catalog.xid8'
                   ' and pg_catalog.pg_visible_in_snapshot(ev.ev_txid, %L::pg_catalog.pg_snapshot)'
                   ' and not pg_catalog.pg_visible_in_snapshot(ev.ev_txid, %L::pg_catalog.pg_snapshot)%s',
                   _cols, pgq.quote_fqname(_tbl), _lo, pg_catalog.pg_snapshot_xmax(_b.cur_snap),
                   _b.cur_snap, _b.prev_snap, _own);
        if _list <> '' then
            _sql := _sql || pg_catalog.format(
                ' union all %s from %s ev where ev.ev_txid operator(pg_catalog.=) any (array[%s]::pg_catalog.xid8[])%s',
                _cols, pgq.quote_fqname(_tbl), _list, _own);
        end if;
    end loop;
    if _sql = '' then
        raise exception 'could not construct sql for batch %', x_batch_id;
    end if;
    return _sql || ' order by 1';
end;
$$;
