-- Function: lambdiste.add_member(5)
--
--      On the root: registers a leaf as a member of the queue and as a
--      consumer of it, starting at the latest tick.
-- Returns:
--      the tick the leaf's consumer starts at.
-- Tables directly manipulated:
--      insert/update - lambdiste.member;  pgq.register_consumer
create or replace function lambdiste.add_member(
    i_queue text, i_node_name text, i_node_type text, i_location text, i_consumer text)
returns bigint
language plpgsql
as $$
declare
    _root lambdiste.node := lambdiste.find_node(i_queue);
    _tick bigint;
begin
    if _root.node_type <> 'root' then
        raise exception 'Node "%" is not the root of queue "%"', _root.node_name, i_queue using errcode = '55000';
    end if;
    insert into lambdiste.member (member_queue, member_name, member_type, member_location, member_consumer)
    values (i_queue, i_node_name, i_node_type, i_location, i_consumer)
    on conflict (member_queue, member_name) do update
       set member_type = excluded.member_type, member_location = excluded.member_location,
           member_consumer = excluded.member_consumer;
    perform pgq.register_consumer(i_queue, i_consumer);
    select last_tick into _tick from pgq.get_consumer_info(i_queue, i_consumer);
    return _tick;
end;
$$;
