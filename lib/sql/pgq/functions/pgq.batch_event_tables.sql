-- Function: pgq.batch_event_tables(1)
--
--      The event tables that can hold events of an open batch: the current
--      one, the previous one, or both, from the batch's transaction range
--      (xmin of its start tick to xmax of its end tick) against the last
--      rotation (queue_switch_step1 and step2: before step1 only the
--      previous table was written, after step2 only the current one).
-- Returns:
--      table names, previous table first
create or replace function pgq.batch_event_tables(x_batch_id bigint)
returns setof text
language plpgsql
as $$
declare
    _b record;
begin
    select pg_catalog.pg_snapshot_xmin(last.tick_snapshot) as tx_min,
           pg_catalog.pg_snapshot_xmax(cur.tick_snapshot) as tx_max,
           q.queue_data_pfx, q.queue_ntables, q.queue_cur_table, q.queue_switch_step1, q.queue_switch_step2
      into _b
      from pgq.subscription s
      join pgq.queue q on q.queue_id = s.sub_queue
      join pgq.tick last on last.tick_queue = s.sub_queue and last.tick_id = s.sub_last_tick
      join pgq.tick cur on cur.tick_queue = s.sub_queue and cur.tick_id = s.sub_next_tick
     where s.sub_batch = x_batch_id;
    if not found then
        raise exception 'Cannot find data for batch %', x_batch_id;
    end if;
    -- Previous table, unless the whole batch came after the last rotation.
    if not (_b.queue_switch_step2 is not null and _b.tx_min > _b.queue_switch_step2) then
        return next _b.queue_data_pfx || '_' || (_b.queue_cur_table + _b.queue_ntables - 1) % _b.queue_ntables;
    end if;
    -- Current table, unless the whole batch came before it.
    if not (_b.tx_max < _b.queue_switch_step1) then
        return next _b.queue_data_pfx || '_' || _b.queue_cur_table;
    end if;
end;
$$;
