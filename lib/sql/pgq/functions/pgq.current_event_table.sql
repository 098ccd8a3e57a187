-- Function: pgq.current_event_table(1)
--
--      Name of the event table receiving inserts right now. Only valid in
--      the calling transaction: rotation may switch it afterwards.
create or replace function pgq.current_event_table(i_queue_name text)
returns text
language plpgsql
as $$
declare
    _q pgq.queue := pgq.find_queue(i_queue_name);
begin
    if _q.queue_disable_insert then
        raise exception 'Insert into queue % is disabled', i_queue_name using errcode = '55000';
    end if;
    return _q.queue_data_pfx || '_' || _q.queue_cur_table;
end;
$$;
