-- Function: lambdiste.events_after_tick(1)
--
--      Whether a transaction that wrote events to the queue has committed
--      since its last tick, though the queue's event sequence says nothing
--      is new: PgQ counts new events by that sequence, and a transaction
--      that drew its event ids before a tick but committed after it is in
--      the next batch only, which its ticker would then write only at its
--      next idle tick. Lambdiste's ticker, told of the commit, asks this
--      and ticks. False over a real PgQ (its tables are its own).
create or replace function lambdiste.events_after_tick(i_queue text)
returns boolean
language plpgsql stable
as $$
declare
    _pfx  text;
    _snap pg_snapshot;
    _seq  text;
    _last bigint;
    _yes  boolean;
begin
    if to_regclass('pgq.lambdiste_migration') is null then
        return false;
    end if;
    select q.queue_data_pfx, t.tick_snapshot, q.queue_event_seq, t.tick_event_seq into _pfx, _snap, _seq, _last
      from pgq.queue q join pgq.tick t on t.tick_queue = q.queue_id
     where q.queue_name = i_queue
     order by t.tick_id desc limit 1;
    -- Only the case the sequence misses: while it shows new events, the
    -- ticker's own rule (max_count, max_lag) decides, and batches stay whole.
    if not found or pgq.seq_getval(_seq) > _last then
        return false;
    end if;
    execute format('select exists (select 1 from %s ev where ev.ev_txid >= $1 and not pg_visible_in_snapshot(ev.ev_txid, $2)'
                   ' and pg_visible_in_snapshot(ev.ev_txid, pg_current_snapshot()))', _pfx)
       into _yes using pg_snapshot_xmin(_snap), _snap;
    return _yes;
end;
$$;
