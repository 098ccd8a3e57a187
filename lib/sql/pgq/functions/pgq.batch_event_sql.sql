-- Function: pgq.batch_event_sql(1), pgq.batch_event_sql(2)
--
--      The query that returns a batch's events, ordered by event id.
--
--      An event belongs to the batch when its transaction is visible in the
--      end tick's snapshot and not in the start tick's. Each committed
--      transaction becomes visible in exactly one such interval, so each
--      event is in exactly one batch of every consumer, however long its
--      transaction stayed open.
--
--      The query reads the queue's parent event table, which covers every
--      rotated child. It scans a txid range from the start snapshot's xmax
--      to the end snapshot's xmax; transactions that were still running at
--      the start tick and finished since are added by exact txid (or, when
--      they are close to the range, by lowering its start).
--      Retried events come back only to the consumer that retried them.
-- Parameters:
--      i_batch_id      - an open batch
--      i_extra_where   - optional extra condition on ev_* columns
create or replace function pgq.batch_event_sql(i_batch_id bigint, i_extra_where text)
returns text
language plpgsql
as $$
declare
    _sub   pgq.subscription := pgq.find_batch(i_batch_id);
    _pfx   text;
    _prev  pg_snapshot;
    _cur   pg_snapshot;
    _lo    xid8;
    _hi    xid8;
    _xid   xid8;
    _list  text[] := '{}';
    _sql   text;
begin
    select q.queue_data_pfx, p.tick_snapshot, n.tick_snapshot
      into _pfx, _prev, _cur
      from pgq.queue q, pgq.tick p, pgq.tick n
     where q.queue_id = _sub.sub_queue
       and p.tick_queue = _sub.sub_queue and p.tick_id = _sub.sub_last_tick
       and n.tick_queue = _sub.sub_queue and n.tick_id = _sub.sub_next_tick;
    if not found then
        raise exception 'Ticks of batch % are gone', i_batch_id using errcode = '55000';
    end if;

    _lo := pg_snapshot_xmax(_prev);
    _hi := pg_snapshot_xmax(_cur);
    for _xid in select x from pg_snapshot_xip(_prev) x order by x desc loop
        continue when not pg_visible_in_snapshot(_xid, _cur);
        -- Near the range: widen it (the visibility test keeps it exact).
        if _xid::text::numeric >= _lo::text::numeric - 100 then
            _lo := _xid;
        else
            _list := _list || quote_literal(_xid::text);
        end if;
    end loop;

    _sql := format(
        'select ev.ev_id, ev.ev_time, ev.ev_txid::text::bigint as ev_txid, ev.ev_retry, ev.ev_type,'
        ' ev.ev_data, ev.ev_extra1, ev.ev_extra2, ev.ev_extra3, ev.ev_extra4'
        ' from %s ev'
        ' where (ev.ev_owner is null or ev.ev_owner = %s)'
        ' and ((ev.ev_txid >= %L::xid8 and ev.ev_txid < %L::xid8'
        ' and pg_visible_in_snapshot(ev.ev_txid, %L::pg_snapshot)'
        ' and not pg_visible_in_snapshot(ev.ev_txid, %L::pg_snapshot))',
        _pfx, _sub.sub_id, _lo, _hi, _cur, _prev);
    if cardinality(_list) > 0 then
        _sql := _sql || ' or ev.ev_txid = any (array[' || array_to_string(_list, ',') || ']::xid8[])';
    end if;
    _sql := _sql || ')';
    if i_extra_where is not null then
        _sql := _sql || ' and (' || i_extra_where || ')';
    end if;
    return _sql || ' order by ev.ev_id';
end;
$$;

create or replace function pgq.batch_event_sql(i_batch_id bigint)
returns text
language sql
as $$ select pgq.batch_event_sql(i_batch_id, null) $$;
