-- Function: pgq.find_subscription(3)
--
--      Internal: the subscription of a consumer on a queue, or a clear error.
create or replace function pgq.find_subscription(i_queue_name text, i_consumer_name text, i_lock boolean default false)
returns pgq.subscription
language plpgsql
as $$
declare
    _q   pgq.queue := pgq.find_queue(i_queue_name);
    _sub pgq.subscription;
begin
    if i_lock then
        select s.* into _sub from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer
         where s.sub_queue = _q.queue_id and c.co_name = i_consumer_name
           for update of s;
    else
        select s.* into _sub from pgq.subscription s join pgq.consumer c on c.co_id = s.sub_consumer
         where s.sub_queue = _q.queue_id and c.co_name = i_consumer_name;
    end if;
    if not found then
        raise exception 'Consumer % is not registered on queue %',
            coalesce(i_consumer_name, '<null>'), i_queue_name using errcode = 'P0002';
    end if;
    return _sub;
end;
$$;
