-- Function: lambdiste.requeue_staged(1)
--
--      On a branch, in the transaction that applies a chunk of its
--      provider's batch: writes the staged events (pg_temp.lambdiste_batch)
--      into the branch's own queue, with their event ids, so that its
--      subscribers get them. They commit with the rows they changed here;
--      the batch's end tick follows (lambdiste.mirror_tick). Only the
--      columns the apply reads travel: type, data, table (ev_extra1); the
--      event time is the branch's.
-- Returns:
--      the number of events written.
-- Tables directly manipulated:
--      insert - the queue's current event table
create or replace function lambdiste.requeue_staged(i_queue text)
returns bigint
language plpgsql
as $$
declare
    _q record;
    _n bigint;
begin
    select queue_id, queue_cur_table into _q from pgq.queue where queue_name = i_queue for share;
    if not found then
        raise exception 'No queue "%" on this branch', i_queue using errcode = '55000';
    end if;
    insert into pgq.event_template (ev_queue, ev_tbl, ev_id, ev_time, ev_type, ev_data, ev_extra1)
    select _q.queue_id, _q.queue_cur_table, ev_id, now(), ev_type, ev_data, ev_extra1
      from pg_temp.lambdiste_batch;
    get diagnostics _n = row_count;
    return _n;
end;
$$;
