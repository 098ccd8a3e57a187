-- Function: pgq.maint_retry_events(0)
--
--      Moves retry events whose time has come back into their queue (with a
--      new transaction id, for their owner only), oldest due first, ten at a
--      time as PgQ does: call again until it returns 0. One mover at a time;
--      producers are not blocked.
-- Returns:
--      number of events moved
-- Tables directly manipulated:
--      delete - pgq.retry_queue
--      insert - pgq.event_<queue>_<n> (through pgq.insert_event_raw)
create or replace function pgq.maint_retry_events()
returns integer
language plpgsql
as $$
declare
    _ev  record;
    _n   integer := 0;
begin
    lock table pgq.retry_queue in share update exclusive mode;
    for _ev in
        select q.queue_name, r.ev_id, r.ev_time, r.ev_owner, r.ev_retry, r.ev_type, r.ev_data,
               r.ev_extra1, r.ev_extra2, r.ev_extra3, r.ev_extra4
          from pgq.retry_queue r join pgq.queue q on q.queue_id = r.ev_queue
         where r.ev_retry_after <= current_timestamp
         order by r.ev_retry_after
         limit 10
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
