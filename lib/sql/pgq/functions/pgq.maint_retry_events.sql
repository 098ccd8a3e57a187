-- Function: pgq.maint_retry_events(0)
--
--      Moves retry events whose time has come back into their queue, for
--      their owner only. Handles up to 1000 events a call; call again
--      until it returns 0.
-- Returns:
--      number of events moved
-- Tables directly manipulated:
--      delete - pgq.retry_queue
--      insert - pgq.event_<queue>_<n>
create or replace function pgq.maint_retry_events()
returns integer
language plpgsql
as $$
declare
    _ev  record;
    _n   integer := 0;
begin
    for _ev in
        select r.*, q.queue_name
          from pgq.retry_queue r join pgq.queue q on q.queue_id = r.ev_queue
         where r.ev_retry_after <= now()
         order by r.ev_retry_after
         limit 1000
           for update of r skip locked
    loop
        perform pgq.insert_event_raw(_ev.queue_name, _ev.ev_id, _ev.ev_time, _ev.ev_owner, _ev.ev_retry,
                                     _ev.ev_type, _ev.ev_data, _ev.ev_extra1, _ev.ev_extra2,
                                     _ev.ev_extra3, _ev.ev_extra4);
        delete from pgq.retry_queue where ev_owner = _ev.ev_owner and ev_id = _ev.ev_id;
        _n := _n + 1;
    end loop;
    return _n;
end;
$$;
