-- Function: pgq.ticker(1), pgq.ticker(0), pgq.ticker(4)
--
--      ticker(queue) closes the current batch of a queue by writing a tick,
--      when there is a reason to (PgQ's rules):
--        * new events (by the event sequence) and ticker_max_count of them,
--          or ticker_max_lag passed since the last tick;
--        * no new events: idle ticks back off, each gap at least twice the
--          one before (and at least half of ticker_max_lag), up to
--          ticker_idle_period.
--      New events are counted as PgQ counts them, from the sequence's
--      last_value, which a fresh sequence already shows as 1: the very
--      first event of a queue looks like no event to the ticker.
--      Only one ticker works on a queue at a time: a second caller returns
--      NULL at once instead of waiting, because a tick written after
--      waiting could carry an older snapshot than the one it follows. In
--      REPEATABLE READ or SERIALIZABLE it refuses to run (see
--      pgq.require_read_committed).
--
--      ticker() does this for every queue that is neither paused nor ticked
--      externally, in name order. ticker(queue, tick_id, time, event_seq)
--      writes a given tick into a queue whose ticks come from elsewhere
--      (queue_external_ticker, e.g. a cascaded branch) and moves the
--      queue's sequences up to the given values.
-- Returns:
--      ticker(1) and ticker(4): the new tick id; ticker(1) NULL when no
--      tick was due; ticker(0): the number of ticks written.
-- Tables directly manipulated:
--      insert - pgq.tick
create or replace function pgq.ticker(i_queue_name text)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _q       record;
    _last    record;
    _seq     bigint;
    _gap     interval;
    _next    xid8;
    _tick_id bigint;
begin
    perform pgq.require_read_committed('pgq.ticker');
    select queue_id, queue_tick_seq, queue_event_seq, queue_external_ticker, queue_ticker_paused,
           queue_ticker_max_count, queue_ticker_max_lag, queue_ticker_idle_period
      into _q from pgq.queue where queue_name = i_queue_name;
    if not found then
        raise exception 'no such queue';
    end if;
    if _q.queue_external_ticker then
        raise exception 'This queue has external tick source.';
    end if;
    if _q.queue_ticker_paused then
        raise exception 'Ticker has been paused for this queue';
    end if;
    if not pg_try_advisory_xact_lock(hashtext('pgq.ticker'), _q.queue_id) then
        return null;
    end if;

    -- New statements, so a new snapshot: they see any tick committed by a
    -- ticker that held the lock before us.
    _seq := pgq.seq_getval(_q.queue_event_seq);
    select tick_id, tick_time, tick_event_seq, now() - tick_time as lag,
           pg_snapshot_xmin(tick_snapshot) as sxmin, pg_snapshot_xmax(tick_snapshot) as sxmax
      into _last
      from pgq.tick where tick_queue = _q.queue_id
     order by tick_id desc limit 1;
    if found then
        -- Compared with the next transaction id rather than one assigned
        -- for the purpose: an idle ticker consumes no transaction ids.
        _next := pg_snapshot_xmax(pg_current_snapshot());
        if _last.sxmin > _next then
            raise exception 'Invalid PgQ state: old xmin=%, old xmax=%, cur txid=%', _last.sxmin, _last.sxmax, _next;
        end if;
        if _seq < _last.tick_event_seq then
            raise warning 'Negative new_events?  old=% cur=%', _last.tick_event_seq, _seq;
        end if;
        if _last.sxmax > _next then
            raise warning 'Dubious PgQ state: old xmax=%, cur txid=%', _last.sxmax, _next;
        end if;
        if _seq > _last.tick_event_seq then
            if _seq - _last.tick_event_seq < _q.queue_ticker_max_count
               and _last.lag < _q.queue_ticker_max_lag then
                return null;
            end if;
        else
            select _last.tick_time - tick_time into _gap
              from pgq.tick where tick_queue = _q.queue_id and tick_id < _last.tick_id
             order by tick_id desc limit 1;
            if found and (_last.lag < _q.queue_ticker_max_lag / 2
                          or (_last.lag < _gap * 2 and _last.lag < _q.queue_ticker_idle_period)) then
                return null;
            end if;
        end if;
    end if;

    insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
    values (_q.queue_id, nextval(_q.queue_tick_seq::regclass), _seq)
    returning tick_id into _tick_id;
    return _tick_id;
end;
$$;

create or replace function pgq.ticker()
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _name  text;
    _ticks bigint := 0;
begin
    for _name in
        select queue_name from pgq.queue
         where not queue_external_ticker and not queue_ticker_paused
         order by queue_name
    loop
        if pgq.ticker(_name) > 0 then
            _ticks := _ticks + 1;
        end if;
    end loop;
    return _ticks;
end;
$$;

create or replace function pgq.ticker(
    i_queue_name text, i_tick_id bigint, i_orig_timestamp timestamp with time zone, i_event_seq bigint)
returns bigint
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _q record;
begin
    select queue_id, queue_tick_seq, queue_event_seq into _q
      from pgq.queue
     where queue_name = i_queue_name and queue_external_ticker and not queue_ticker_paused;
    if not found then
        raise exception 'queue not found or ticker disabled: %', i_queue_name;
    end if;
    insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)
    values (_q.queue_id, i_tick_id, i_orig_timestamp, i_event_seq);
    perform pgq.seq_setval(_q.queue_tick_seq, i_tick_id), pgq.seq_setval(_q.queue_event_seq, i_event_seq);
    return i_tick_id;
end;
$$;
