-- Function: pgq.find_queue(1)
--
--      Internal: the queue row for a name, or a clear error.
-- Parameters:
--      i_queue_name    - name of the queue
--      i_lock          - lock the row (for changes to the queue itself)
create or replace function pgq.find_queue(i_queue_name text, i_lock boolean default false)
returns pgq.queue
language plpgsql
as $$
declare
    _q pgq.queue;
begin
    if i_lock then
        select * into _q from pgq.queue where queue_name = i_queue_name for update;
    else
        select * into _q from pgq.queue where queue_name = i_queue_name;
    end if;
    if not found then
        raise exception 'Queue not found: %', coalesce(i_queue_name, '<null>')
            using errcode = 'P0002';
    end if;
    return _q;
end;
$$;
