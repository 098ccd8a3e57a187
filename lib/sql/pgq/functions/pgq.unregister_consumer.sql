-- Function: pgq.unregister_consumer(2)
--
--      Ends a subscription, with its open batch and its retry events. The
--      consumer's name is forgotten once it has no subscription left.
-- Returns:
--      the number of subscriptions removed: 1, or 0 when the consumer was
--      not registered on that queue.
-- Tables directly manipulated:
--      delete - pgq.subscription, pgq.retry_queue, pgq.consumer
create or replace function pgq.unregister_consumer(x_queue_name text, x_consumer_name text)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _sub_id integer;
    _co_id  integer;
begin
    select s.sub_id, c.co_id into _sub_id, _co_id
      from pgq.subscription s
      join pgq.consumer c on c.co_id = s.sub_consumer
      join pgq.queue q on q.queue_id = s.sub_queue
     where q.queue_name = x_queue_name and c.co_name = x_consumer_name
       for update of s, c;
    if not found then
        return 0;
    end if;
    delete from pgq.retry_queue where ev_owner = _sub_id;
    delete from pgq.subscription where sub_id = _sub_id;
    if not exists (select 1 from pgq.subscription where sub_consumer = _co_id) then
        delete from pgq.consumer where co_id = _co_id;
    end if;
    return 1;
end;
$$;
