-- Function: lambdiste.mirror_tick(4)
--
--      On a branch: writes its provider's tick i_tick_id (time, event
--      sequence) into the branch's queue once the batch ending there has
--      committed here, in a transaction of its own: events written in the
--      same transaction as the tick would not be visible in the tick's
--      snapshot. Idempotent: a tick already there is not written again,
--      so a run that stopped between the two commits writes it next time.
--      Wakes the branch's subscribers ('tick' channel).
-- Returns:
--      true when the tick was written now.
-- Tables directly manipulated:
--      insert - pgq.tick (pgq.ticker(4))
create or replace function lambdiste.mirror_tick(
    i_queue text, i_tick_id bigint, i_time timestamptz, i_event_seq bigint)
returns boolean
language plpgsql
as $$
declare
    _last bigint;
begin
    select max(t.tick_id) into _last
      from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue
     where q.queue_name = i_queue;
    if _last is not null and _last >= i_tick_id then
        return false;
    end if;
    perform pgq.ticker(i_queue, i_tick_id, i_time, i_event_seq);
    perform pg_notify(lambdiste.queue_channel(i_queue, 'tick'), '');
    return true;
end;
$$;
