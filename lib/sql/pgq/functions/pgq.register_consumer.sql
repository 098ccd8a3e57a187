-- Function: pgq.register_consumer(2), pgq.register_consumer_at(3)
--
--      Subscribes a consumer to a queue. A new subscription starts at the
--      queue's latest tick (or the given one), so the consumer sees exactly
--      the events committed after that tick. Registering an existing
--      consumer again changes nothing, except that with an explicit tick it
--      is moved there and its open batch is dropped.
-- Returns:
--      1 if a new subscription was made, 0 if it existed.
-- Tables directly manipulated:
--      insert - pgq.consumer, pgq.subscription
--      update - pgq.subscription
create or replace function pgq.register_consumer_at(x_queue_name text, x_consumer_name text, x_tick_pos bigint)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _queue_id integer;
    _co_id    integer;
    _tick     bigint := x_tick_pos;
begin
    select queue_id into _queue_id from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'Event queue not created yet';
    end if;

    -- The consumer's row, made if new (and made again if a concurrent
    -- unregister_consumer deleted it meanwhile).
    loop
        select co_id into _co_id from pgq.consumer where co_name = x_consumer_name for update;
        exit when found;
        insert into pgq.consumer (co_name) values (x_consumer_name)
            on conflict (co_name) do nothing;
    end loop;

    if x_tick_pos is not null then
        perform 1 from pgq.tick where tick_queue = _queue_id and tick_id = x_tick_pos;
        if not found then
            raise exception 'cannot reposition, tick not found: %', x_tick_pos;
        end if;
    end if;

    perform 1 from pgq.subscription
     where sub_queue = _queue_id and sub_consumer = _co_id for update;
    if found then
        if x_tick_pos is not null then
            update pgq.subscription
               set sub_last_tick = x_tick_pos, sub_batch = null, sub_next_tick = null, sub_active = now()
             where sub_queue = _queue_id and sub_consumer = _co_id;
        end if;
        return 0;
    end if;

    if _tick is null then
        select tick_id into _tick from pgq.tick
         where tick_queue = _queue_id order by tick_id desc limit 1;
        if not found then
            raise exception 'No ticks for this queue.  Please run ticker on database.';
        end if;
    end if;
    insert into pgq.subscription (sub_queue, sub_consumer, sub_last_tick)
    values (_queue_id, _co_id, _tick)
        on conflict (sub_queue, sub_consumer) do nothing;
    return case when found then 1 else 0 end;
end;
$$;

create or replace function pgq.register_consumer(x_queue_name text, x_consumer_id text)
returns integer
language sql
security definer
set search_path = pg_catalog, pg_temp
as $$ select pgq.register_consumer_at(x_queue_name, x_consumer_id, null) $$;
