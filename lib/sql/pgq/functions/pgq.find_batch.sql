-- Function: pgq.find_batch(1)
--
--      Internal: the subscription that has this batch open, or a clear error.
create or replace function pgq.find_batch(i_batch_id bigint, i_lock boolean default false)
returns pgq.subscription
language plpgsql
as $$
declare
    _sub pgq.subscription;
begin
    if i_lock then
        select * into _sub from pgq.subscription where sub_batch = i_batch_id for update;
    else
        select * into _sub from pgq.subscription where sub_batch = i_batch_id;
    end if;
    if not found then
        raise exception 'Batch not found (unknown or already finished): %', coalesce(i_batch_id::text, '<null>')
            using errcode = 'P0002';
    end if;
    return _sub;
end;
$$;
