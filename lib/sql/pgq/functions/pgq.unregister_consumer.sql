-- Function: pgq.unregister_consumer(2)
--
--      Ends a subscription, with its open batch and its retry events.
-- Returns:
--      1
-- Tables directly manipulated:
--      delete - pgq.subscription, pgq.retry_queue
create or replace function pgq.unregister_consumer(i_queue_name text, i_consumer_name text)
returns integer
language plpgsql
as $$
declare
    _sub pgq.subscription := pgq.find_subscription(i_queue_name, i_consumer_name, true);
begin
    delete from pgq.retry_queue where ev_owner = _sub.sub_id;
    delete from pgq.subscription where sub_id = _sub.sub_id;
    return 1;
end;
$$;
