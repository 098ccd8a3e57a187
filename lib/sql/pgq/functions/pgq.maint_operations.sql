-- Function: pgq.maint_operations(0), pgq.maint_tables_to_vacuum(0)
--
--      The maintenance calls due now, as (func_name, func_arg) rows, so the
--      ticker runs policy it does not have to know: each row is to be
--      called as func_name(func_arg), or func_name() when func_arg is NULL,
--      each in its own transaction.
--      maint_tables_to_vacuum lists the small, hot queue tables to VACUUM,
--      only when autovacuum is off (otherwise autovacuum does it).
create or replace function pgq.maint_operations(out func_name text, out func_arg text)
returns setof record
language plpgsql
as $$
declare
    _q   record;
    _fn  text;
begin
    for _q in select * from pgq.queue order by queue_id loop
        if _q.queue_switch_step2 is not null
           and _q.queue_switch_time + _q.queue_rotation_period <= now() then
            func_name := 'pgq.maint_rotate_tables_step1';
            func_arg := _q.queue_name;
            return next;
        end if;
        foreach _fn in array coalesce(_q.queue_extra_maint, '{}') loop
            func_name := _fn;
            func_arg := _q.queue_name;
            return next;
        end loop;
    end loop;

    perform 1 from pgq.queue where queue_switch_step2 is null;
    if found then
        func_name := 'pgq.maint_rotate_tables_step2';
        func_arg := null;
        return next;
    end if;

    perform 1 from pgq.retry_queue where ev_retry_after <= now();
    if found then
        func_name := 'pgq.maint_retry_events';
        func_arg := null;
        return next;
    end if;
end;
$$;

create or replace function pgq.maint_tables_to_vacuum()
returns setof text
language sql
as $$
    select t from unnest(array['pgq.subscription', 'pgq.consumer', 'pgq.queue',
                               'pgq.tick', 'pgq.retry_queue']) t
     where not current_setting('autovacuum')::boolean
$$;
