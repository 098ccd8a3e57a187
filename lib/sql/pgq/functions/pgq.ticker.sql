-- Function: pgq.ticker(1), pgq.ticker(0), pgq.ticker(4)
--
--      ticker(queue) closes the current batch of a queue by writing a tick,
--      when there is a reason to:
--        * ticker_max_count events are pending, or
--        * events are pending and ticker_max_lag has passed since the last tick, or
--        * nothing is pending and ticker_idle_period has passed.
--      Only one ticker works on a queue at a time: a second caller returns
--      NULL at once instead of waiting, because a tick written after
--      waiting could carry an older snapshot than the one it follows.
--
--      ticker() does this for every queue that is not paused and not
--      externally ticked. ticker(queue, tick_id, time, event_seq) writes a
--      given tick, for queues whose ticks come from elsewhere.
-- Returns:
--      ticker(1): the new tick id, or NULL when no tick was due;
--      ticker(0): the number of ticks written.
-- Tables directly manipulated:
--      insert - pgq.tick
create or replace function pgq.ticker(i_queue_name text)
returns bigint
language plpgsql
as $$
declare
    _q       pgq.queue;
    _last    pgq.tick;
    _seq     bigint;
    _new     bigint;
    _lag     interval;
    _tick_id bigint;
begin
    perform pgq.require_read_committed('pgq.ticker');
    _q := pgq.find_queue(i_queue_name);
    if _q.queue_external_ticker then
        raise exception 'Queue % is ticked externally', i_queue_name using errcode = '55000';
    end if;
    if _q.queue_ticker_paused then
        return null;
    end if;
    if not pg_try_advisory_xact_lock(hashtext('pgq.ticker'), _q.queue_id) then
        return null;
    end if;

    -- A new statement, so a new snapshot: it sees any tick committed by a
    -- ticker that held the lock before us.
    select * into _last from pgq.tick
     where tick_queue = _q.queue_id order by tick_id desc limit 1;
    _seq := coalesce(pg_sequence_last_value(_q.queue_event_seq::regclass), 0);

    if _last.tick_id is not null then
        _new := _seq - _last.tick_event_seq;
        _lag := now() - _last.tick_time;
        if _new > 0 then
            if _new < _q.queue_ticker_max_count and _lag < _q.queue_ticker_max_lag then
                return null;
            end if;
        elsif _lag < _q.queue_ticker_idle_period then
            return null;
        end if;
    end if;

    _tick_id := nextval(_q.queue_tick_seq);
    insert into pgq.tick (tick_queue, tick_id, tick_event_seq)
    values (_q.queue_id, _tick_id, _seq);
    return _tick_id;
end;
$$;

create or replace function pgq.ticker()
returns bigint
language plpgsql
as $$
declare
    _name  text;
    _ticks bigint := 0;
begin
    for _name in
        select queue_name from pgq.queue
         where not queue_ticker_paused and not queue_external_ticker
         order by queue_id
    loop
        if pgq.ticker(_name) is not null then
            _ticks := _ticks + 1;
        end if;
    end loop;
    return _ticks;
end;
$$;

create or replace function pgq.ticker(
    i_queue_name text, i_tick_id bigint, i_orig_timestamp timestamptz, i_event_seq bigint)
returns bigint
language plpgsql
as $$
declare
    _q pgq.queue := pgq.find_queue(i_queue_name);
begin
    if not _q.queue_external_ticker then
        raise exception 'Queue % is not ticked externally', i_queue_name using errcode = '55000';
    end if;
    insert into pgq.tick (tick_queue, tick_id, tick_time, tick_event_seq)
    values (_q.queue_id, i_tick_id, i_orig_timestamp, i_event_seq);
    return i_tick_id;
end;
$$;
