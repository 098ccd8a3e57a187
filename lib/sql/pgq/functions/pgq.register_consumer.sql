-- Function: pgq.register_consumer(2), pgq.register_consumer_at(3)
--
--      Subscribes a consumer to a queue. A new subscription starts at the
--      latest tick (or the given one), so the consumer sees exactly the
--      events committed after that tick. Registering an existing consumer
--      at an explicit tick moves it there and drops its open batch.
-- Returns:
--      1 if a new subscription was made, 0 if it existed.
-- Tables directly manipulated:
--      insert - pgq.consumer, pgq.subscription
--      update - pgq.subscription
create or replace function pgq.register_consumer_at(i_queue_name text, i_consumer_name text, i_tick_pos bigint)
returns integer
language plpgsql
as $$
declare
    _q      pgq.queue := pgq.find_queue(i_queue_name);
    _co_id  integer;
    _tick   bigint := i_tick_pos;
    _sub    pgq.subscription;
begin
    if i_consumer_name is null or length(i_consumer_name) = 0 then
        raise exception 'Consumer name must not be empty' using errcode = '22023';
    end if;
    if _tick is null then
        select tick_id into _tick from pgq.tick
         where tick_queue = _q.queue_id order by tick_id desc limit 1;
        if not found then
            raise exception 'No ticks for queue %', i_queue_name using errcode = '55000';
        end if;
    else
        perform 1 from pgq.tick where tick_queue = _q.queue_id and tick_id = _tick;
        if not found then
            raise exception 'Tick % not found on queue %', _tick, i_queue_name using errcode = 'P0002';
        end if;
    end if;

    insert into pgq.consumer (co_name) values (i_consumer_name)
        on conflict (co_name) do nothing;
    select co_id into _co_id from pgq.consumer where co_name = i_consumer_name;

    select * into _sub from pgq.subscription
     where sub_queue = _q.queue_id and sub_consumer = _co_id for update;
    if found then
        if i_tick_pos is not null then
            update pgq.subscription
               set sub_last_tick = _tick, sub_batch = null, sub_next_tick = null, sub_active = now()
             where sub_id = _sub.sub_id;
        end if;
        return 0;
    end if;

    insert into pgq.subscription (sub_queue, sub_consumer, sub_last_tick)
    values (_q.queue_id, _co_id, _tick)
        on conflict (sub_queue, sub_consumer) do nothing;
    return case when found then 1 else 0 end;
end;
$$;

create or replace function pgq.register_consumer(i_queue_name text, i_consumer_name text)
returns integer
language sql
as $$ select pgq.register_consumer_at(i_queue_name, i_consumer_name, null) $$;
