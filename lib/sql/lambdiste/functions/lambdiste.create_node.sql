-- Function: lambdiste.create_node(6)
--
--      Records the node this database plays for a queue. The root also
--      gets its queue and lists itself as a member. A branch gets a queue
--      too, ticked from outside (its consumer writes its provider's ticks,
--      lambdiste.mirror_tick) and closed to other writers: its tables'
--      capture triggers refuse local changes, and fire for none that the
--      consumer applies (session_replication_role = replica).
-- Returns:
--      ret_code 200 created, 201 already exists with the same name and
--      type, 409 a different node exists for this queue.
-- Tables directly manipulated:
--      insert - lambdiste.node, lambdiste.member
create or replace function lambdiste.create_node(
    i_queue text, i_node_name text, i_node_type text, i_location text,
    i_provider text, i_consumer text,
    out ret_code integer, out ret_note text)
language plpgsql
as $$
declare
    _n lambdiste.node;
begin
    if coalesce(i_node_name, '') = '' then
        raise exception 'Node name must not be empty' using errcode = '22023';
    end if;
    select * into _n from lambdiste.node where node_queue = i_queue for update;
    if found then
        if _n.node_name = i_node_name and _n.node_type = i_node_type then
            ret_code := 201;
            ret_note := format('Node "%s" already initialized for queue "%s"', i_node_name, i_queue);
        else
            ret_code := 409;
            ret_note := format('This database is already node "%s" (%s) of queue "%s"',
                               _n.node_name, _n.node_type, i_queue);
        end if;
        return;
    end if;
    insert into lambdiste.node (node_queue, node_name, node_type, node_location, node_provider, node_consumer)
    values (i_queue, i_node_name, i_node_type, i_location, i_provider, i_consumer);
    if i_node_type = 'root' then
        -- The ticker wakes when events arrive (lambdiste.queue_channel), so a
        -- batch can close 50 ms after the last one (PgQ's default waits 3 s).
        if pgq.create_queue(i_queue) = 1 then
            perform pgq.set_queue_config(i_queue, 'ticker_max_lag', '50 milliseconds');
            -- PgQ counts new events by the event sequence's last_value, which
            -- a fresh sequence already shows as 1: its first event would look
            -- like none, and wait for an idle tick. Drawn once, it counts.
            perform pg_catalog.nextval((select queue_event_seq from pgq.queue where queue_name = i_queue)::regclass);
        end if;
        insert into lambdiste.member (member_queue, member_name, member_type, member_location)
        values (i_queue, i_node_name, 'root', i_location)
        on conflict do nothing;
    elsif i_node_type = 'branch' then
        perform pgq.create_queue(i_queue);
        perform pgq.set_queue_config(i_queue, 'external_ticker', 'true');
        update pgq.queue set queue_disable_insert = true where queue_name = i_queue;
    end if;
    ret_code := 200;
    ret_note := format('Node "%s" initialized for queue "%s" with type "%s"', i_node_name, i_queue, i_node_type);
end;
$$;
