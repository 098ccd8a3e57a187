-- Function: pgq.drop_queue(2)
--
--      Drops a queue with its event tables, ticks and retry events.
-- Parameters:
--      i_queue_name    - queue to drop
--      i_force         - drop even while consumers are registered
-- Returns:
--      1
-- Tables directly manipulated:
--      delete - pgq.queue (cascades to pgq.tick, pgq.subscription, pgq.retry_queue)
create or replace function pgq.drop_queue(i_queue_name text, i_force boolean default false)
returns integer
language plpgsql
as $$
declare
    _q pgq.queue;
    _consumers text;
begin
    _q := pgq.find_queue(i_queue_name, true);
    select string_agg(c.co_name, ', ' order by c.co_name) into _consumers
      from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer
     where s.sub_queue = _q.queue_id;
    if _consumers is not null and not i_force then
        raise exception 'Queue % still has consumers: %', i_queue_name, _consumers
            using errcode = '55006';
    end if;
    delete from pgq.queue where queue_id = _q.queue_id;
    execute format('drop table %s cascade', _q.queue_data_pfx);
    execute format('drop sequence %s', _q.queue_event_seq);
    execute format('drop sequence %s', _q.queue_tick_seq);
    return 1;
end;
$$;
