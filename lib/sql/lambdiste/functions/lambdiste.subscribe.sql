-- Function: lambdiste.subscribe(3)
--
--      On a provider (the root or a branch): registers a subscriber's
--      consumer on the queue, at the latest tick or at i_tick. Tick ids
--      are the same on every node of a queue (a branch writes its
--      provider's), so a subscriber's position is a tick id wherever it
--      reads from; a tick this queue does not have (rotated away, or not
--      reached yet) is refused, never guessed at.
-- Returns:
--      the tick the consumer starts after.
-- Tables directly manipulated:
--      pgq.register_consumer / pgq.register_consumer_at
create or replace function lambdiste.subscribe(i_queue text, i_consumer text, i_tick bigint)
returns bigint
language plpgsql
as $$
declare
    _n    lambdiste.node := lambdiste.find_node(i_queue);
    _tick bigint;
begin
    if _n.node_type not in ('root', 'branch') then
        raise exception 'Node "%" is a leaf: only a root or a branch can have subscribers', _n.node_name using errcode = '55000';
    end if;
    if i_tick is null then
        perform pgq.register_consumer(i_queue, i_consumer);
    else
        perform 1 from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue
         where q.queue_name = i_queue and t.tick_id = i_tick;
        if not found then
            raise exception 'Node "%" has no tick % of queue "%"', _n.node_name, i_tick, i_queue using errcode = '55000';
        end if;
        perform pgq.register_consumer_at(i_queue, i_consumer, i_tick);
    end if;
    select last_tick into _tick from pgq.get_consumer_info(i_queue, i_consumer);
    return _tick;
end;
$$;
