-- Function: pgq.current_event_table(1)
--
--      Name of the event table receiving inserts right now, for producers
--      that write events into it directly (COPY, INSERT ... SELECT; ev_id
--      defaults to the queue's sequence). Only valid in the calling
--      transaction: rotation may switch tables afterwards, and the table is
--      locked against truncation only once written to.
-- Returns:
--      the table's schema-qualified name
create or replace function pgq.current_event_table(x_queue_name text)
returns text
language plpgsql
as $$
declare
    _res      text;
    _disabled boolean;
begin
    select q.queue_data_pfx || '_' || q.queue_cur_table, q.queue_disable_insert
      into _res, _disabled
      from pgq.queue q where q.queue_name = x_queue_name;
    if not found then
        raise exception 'Event queue not found';
    end if;
    if _disabled and pg_catalog.current_setting('session_replication_role') <> 'replica' then
        raise exception 'Writing to queue disabled';
    end if;
    return _res;
end;
$$;
