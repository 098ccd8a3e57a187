-- Function: pgq.drop_queue(2), pgq.drop_queue(1)
--
--      Drops a queue with its event tables, sequences and ticks.
-- Parameters:
--      x_queue_name    - queue to drop
--      x_force         - unregister its consumers first instead of refusing
-- Returns:
--      1
-- Tables directly manipulated:
--      delete - pgq.queue, pgq.tick (and, with x_force, what
--               pgq.unregister_consumer deletes)
create or replace function pgq.drop_queue(x_queue_name text, x_force boolean)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _q record;
begin
    select * into _q from pgq.queue where queue_name = x_queue_name for update;
    if not found then
        raise exception 'No such event queue';
    end if;
    if x_force then
        perform pgq.unregister_consumer(x_queue_name, c.co_name)
           from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer
          where s.sub_queue = _q.queue_id;
    elsif exists (select 1 from pgq.subscription where sub_queue = _q.queue_id) then
        raise exception 'cannot drop queue, consumers still attached';
    end if;
    execute 'drop table ' || pgq.quote_fqname(_q.queue_data_pfx) || ' cascade';
    delete from pgq.tick where tick_queue = _q.queue_id;
    execute 'drop sequence ' || pgq.quote_fqname(_q.queue_tick_seq);
    execute 'drop sequence ' || pgq.quote_fqname(_q.queue_event_seq);
    delete from pgq.queue where queue_id = _q.queue_id;
    return 1;
end;
$$;

create or replace function pgq.drop_queue(x_queue_name text)
returns integer
language sql strict
set search_path = pg_catalog, pg_temp
as $$ select pgq.drop_queue(x_queue_name, false) $$;
