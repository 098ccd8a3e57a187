-- Function: pgq.finish_batch(1)
--
--      Closes a batch: the consumer's position moves to its end tick. No
--      more operations can be done with its events. A batch that is unknown
--      or already finished only draws a warning, as in PgQ, so that a
--      consumer may repeat its finish after losing the connection.
-- Returns:
--      1 if the batch was open, 0 otherwise.
-- Tables directly manipulated:
--      update - pgq.subscription
create or replace function pgq.finish_batch(x_batch_id bigint)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
begin
    update pgq.subscription
       set sub_active = now(), sub_last_tick = sub_next_tick, sub_next_tick = null, sub_batch = null
     where sub_batch = x_batch_id;
    if not found then
        raise warning 'finish_batch: batch % not found', x_batch_id;
        return 0;
    end if;
    return 1;
end;
$$;
