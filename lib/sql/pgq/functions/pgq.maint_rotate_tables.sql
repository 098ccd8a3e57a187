-- Function: pgq.maint_rotate_tables_step1(1), pgq.maint_rotate_tables_step2(0)
--
--      Rotation keeps event storage bounded without DELETE: inserts move on
--      to the next event table, which is emptied by TRUNCATE first.
--
--      step1(queue) rotates when the rotation period has passed and the
--      previous rotation is complete. The table to reuse is locked (NOWAIT:
--      a busy table, e.g. under pg_dump or with a writer still open, means
--      "not now") and is only truncated if every event in it belongs to a
--      transaction that every consumer has already passed, i.e. its txid is
--      below the xmin of each consumer's last finished tick. A lagging
--      consumer thus keeps its events across any number of rotation periods.
--      Old ticks no consumer needs are deleted, keeping one period of history.
--
--      step2() completes rotations, and must run in a later transaction
--      than step1: it marks the point after which no transaction can still
--      insert into the previous table.
-- Returns:
--      step1: 1 if the queue rotated, 0 if not; step2: queues completed.
-- Tables directly manipulated:
--      update - pgq.queue;  delete - pgq.tick;  truncate - pgq.event_<queue>_<n>
create or replace function pgq.maint_rotate_tables_step1(i_queue_name text)
returns integer
language plpgsql
as $$
declare
    _q        pgq.queue;
    _next     integer;
    _tbl      text;
    _horizon  xid8;
    _newest   xid8;
    _keep     bigint;
begin
    perform pgq.require_read_committed('pgq.maint_rotate_tables_step1');
    _q := pgq.find_queue(i_queue_name, true);
    if _q.queue_switch_step2 is null
       or _q.queue_switch_time + _q.queue_rotation_period > now() then
        return 0;
    end if;

    _next := (_q.queue_cur_table + 1) % _q.queue_ntables;
    _tbl := _q.queue_data_pfx || '_' || _next;
    begin
        execute format('lock table %s in access exclusive mode nowait', _tbl);
    exception when lock_not_available then
        return 0;
    end;

    -- Holding the lock, no transaction that wrote to the table is still
    -- open, so everything in it is visible to this (new) statement.
    select min(pg_snapshot_xmin(t.tick_snapshot)) into _horizon
      from pgq.subscription s
      join pgq.tick t on t.tick_queue = s.sub_queue and t.tick_id = s.sub_last_tick
     where s.sub_queue = _q.queue_id;
    if _horizon is not null then
        execute format('select ev_txid from %s order by ev_txid desc limit 1', _tbl) into _newest;
        if _newest is not null and _newest >= _horizon then
            return 0;
        end if;
    end if;

    execute format('truncate %s', _tbl);
    update pgq.queue
       set queue_cur_table = _next,
           queue_switch_time = now(),
           queue_switch_step1 = pg_current_xact_id(),
           queue_switch_step2 = null
     where queue_id = _q.queue_id;

    select min(sub_last_tick) into _keep from pgq.subscription where sub_queue = _q.queue_id;
    if _keep is null then
        select max(tick_id) into _keep from pgq.tick where tick_queue = _q.queue_id;
    end if;
    delete from pgq.tick
     where tick_queue = _q.queue_id
       and tick_id < _keep
       and tick_time < now() - _q.queue_rotation_period;
    return 1;
end;
$$;

create or replace function pgq.maint_rotate_tables_step2()
returns integer
language plpgsql
as $$
declare
    _n integer;
begin
    update pgq.queue
       set queue_switch_step2 = pg_current_xact_id()
     where queue_switch_step2 is null
       and queue_switch_step1 <> pg_current_xact_id();
    get diagnostics _n = row_count;
    return _n;
end;
$$;
