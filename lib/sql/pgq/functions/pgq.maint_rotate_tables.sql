-- Function: pgq.maint_rotate_tables_step1(1), pgq.maint_rotate_tables_step2(0)
--
--      Rotation keeps event storage bounded without DELETE: inserts move on
--      to the next event table, which is emptied by TRUNCATE first.
--
--      step1(queue) rotates once the rotation period has passed and the
--      previous rotation is complete (its step 2 done), by PgQ's rule: not
--      while the slowest consumer's position (the snapshot of its last
--      finished tick) does not yet see every transaction up to the previous
--      rotation's step 2. Until that consumer moves, the table to reuse
--      (written before the previous rotation) may hold events it has not
--      read, and it keeps them across any number of rotation periods.
--      The table is then locked NOWAIT (busy, e.g. under pg_dump or with a
--      writer still open: not now). Before truncating, holding the lock,
--      step1 also checks the table itself: if any event in it comes from a
--      transaction at or past the slowest position's xmin (one that
--      position may not see yet), it does not rotate either. Retry events wait in pgq.retry_queue, outside the
--      event tables, and come back into the current table with a new
--      transaction id.
--      Ticks older than the previous rotation's step 2 are deleted: no
--      consumer is positioned on them, and one rotation period of history
--      stays available to move consumers back to.
--
--      step2() completes rotations and must run in a later transaction than
--      step1: it records the moment after which no transaction can still
--      insert into the previous table. Within step 1's own transaction it
--      does nothing.
--
--      Both need READ COMMITTED (see pgq.require_read_committed).
-- Returns:
--      0, as in PgQ (pgq.maint_operations callers run a function again
--      while it returns non-zero); whether a queue rotated shows in
--      queue_cur_table and queue_switch_time (pgq.get_queue_info).
-- Tables directly manipulated:
--      update - pgq.queue;  delete - pgq.tick;  truncate - pgq.event_<queue>_<n>
create or replace function pgq.maint_rotate_tables_step1(i_queue_name text)
returns integer
language plpgsql
as $$
declare
    _q       record;
    _lowest  bigint;
    _xmin    xid8;
    _next    integer;
    _tbl     text;
    _unseen  boolean;
begin
    perform pgq.require_read_committed('pgq.maint_rotate_tables_step1');
    select * into _q from pgq.queue
     where queue_name = i_queue_name
       and queue_rotation_period is not null and queue_switch_step2 is not null
       and queue_switch_time + queue_rotation_period < current_timestamp
       for update;
    if not found then
        return 0;
    end if;
    if pg_catalog.pg_current_xact_id() < _q.queue_switch_step1 then
        raise exception 'queue % maint failure: step1=%, current=%',
            i_queue_name, _q.queue_switch_step1, pg_catalog.pg_current_xact_id();
    end if;

    select min(sub_last_tick) into _lowest from pgq.subscription where sub_queue = _q.queue_id;
    if _lowest is not null then
        select pg_catalog.pg_snapshot_xmin(tick_snapshot) into _xmin
          from pgq.tick where tick_queue = _q.queue_id and tick_id = _lowest;
        if not found then
            raise exception 'queue % maint failure: tick % not found', i_queue_name, _lowest;
        end if;
        if _xmin <= _q.queue_switch_step2 then
            return 0;
        end if;
    end if;

    _next := (_q.queue_cur_table + 1) % _q.queue_ntables;
    _tbl := pgq.quote_fqname(_q.queue_data_pfx || '_' || _next);
    begin
        execute 'lock table ' || _tbl || ' in access exclusive mode nowait';
    exception when lock_not_available then
        return 0;
    end;
    -- Holding the lock, no transaction that wrote to the table is still
    -- open: everything in it is visible to this statement. An event from a
    -- transaction at or past the slowest position's xmin may be one that
    -- position does not see yet.
    if _lowest is not null then
        execute 'select exists (select 1 from ' || _tbl || ' where ev_txid >= $1)' into _unseen using _xmin;
        if _unseen then
            return 0;
        end if;
    end if;
    execute 'truncate ' || _tbl;

    update pgq.queue
       set queue_cur_table = _next,
           queue_switch_time = current_timestamp,
           queue_switch_step1 = pg_catalog.pg_current_xact_id(),
           queue_switch_step2 = null
     where queue_id = _q.queue_id;
    delete from pgq.tick
     where tick_queue = _q.queue_id
       and pg_catalog.pg_snapshot_xmin(tick_snapshot) < _q.queue_switch_step2;
    return 0;
end;
$$;

create or replace function pgq.maint_rotate_tables_step2()
returns integer
language plpgsql
as $$
begin
    perform pgq.require_read_committed('pgq.maint_rotate_tables_step2');
    update pgq.queue
       set queue_switch_step2 = pg_catalog.pg_current_xact_id()
     where queue_switch_step2 is null
       and queue_switch_step1 <> pg_catalog.pg_current_xact_id();
    return 0;
end;
$$;
