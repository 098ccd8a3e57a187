-- Function: pgq.finish_batch(1)
--
--      Closes a batch: the consumer's position moves to its end tick. No
--      more operations can be done with its events.
-- Returns:
--      1
-- Tables directly manipulated:
--      update - pgq.subscription
create or replace function pgq.finish_batch(i_batch_id bigint)
returns integer
language plpgsql
as $$
declare
    _sub pgq.subscription := pgq.find_batch(i_batch_id, true);
begin
    update pgq.subscription
       set sub_last_tick = sub_next_tick, sub_next_tick = null, sub_batch = null, sub_active = now()
     where sub_id = _sub.sub_id;
    return 1;
end;
$$;
