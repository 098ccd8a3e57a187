-- Function: pgq.maint_operations(0)
--
--      The maintenance calls due now, as (func_name, func_arg) rows, in the
--      order PgQ lists them, so that pgqd (or Lambdiste's ticker) runs a
--      policy it does not have to know:
--        1. pgq.maint_rotate_tables_step1(queue) for each queue whose
--           rotation period has passed, by queue name;
--        2. pgq.maint_rotate_tables_step2(), when step 1 is listed or a
--           rotation awaits its step 2;
--        3. each queue's queue_extra_maint functions, by queue name;
--        4. 'vacuum' with a table name, for pgq.maint_tables_to_vacuum();
--        5. pgq_node.maint_watermark(queue), londiste.root_check_seqs(queue)
--           and londiste.periodic_maintenance(), where those are installed.
--      Each is to be run as func_name(func_arg), or func_name() when
--      func_arg is NULL ('vacuum' as the statement VACUUM table), each in
--      its own transaction, again as long as it returns non-zero.
--      Retry events are not listed: pgqd moves them on its own schedule
--      with pgq.maint_retry_events().
create or replace function pgq.maint_operations(out func_name text, out func_arg text)
returns setof record
language plpgsql
as $$
declare
    _n   integer := 0;
    _ops text[];
    _op  text;
begin
    func_name := 'pgq.maint_rotate_tables_step1';
    for func_arg in
        select q.queue_name from pgq.queue q
         where q.queue_rotation_period is not null and q.queue_switch_step2 is not null
           and q.queue_switch_time + q.queue_rotation_period < current_timestamp
         order by 1
    loop
        _n := _n + 1;
        return next;
    end loop;
    if _n > 0 or exists (select 1 from pgq.queue q where q.queue_rotation_period is not null
                                                   and q.queue_switch_step2 is null) then
        func_name := 'pgq.maint_rotate_tables_step2';
        func_arg := null;
        return next;
    end if;

    for func_arg, _ops in
        select q.queue_name, q.queue_extra_maint from pgq.queue q
         where q.queue_extra_maint is not null order by 1
    loop
        foreach _op in array _ops loop
            func_name := _op;
            return next;
        end loop;
    end loop;

    func_name := 'vacuum';
    for func_arg in select * from pgq.maint_tables_to_vacuum() loop
        return next;
    end loop;

    if pg_catalog.to_regprocedure('pgq_node.maint_watermark(text)') is not null then
        func_name := 'pgq_node.maint_watermark';
        for func_arg in execute 'select n.queue_name from pgq_node.node_info n where n.node_type = ''root''' loop
            return next;
        end loop;
    end if;
    if pg_catalog.to_regprocedure('londiste.root_check_seqs(text)') is not null then
        func_name := 'londiste.root_check_seqs';
        for func_arg in execute 'select distinct s.queue_name from londiste.seq_info s, pgq_node.node_info n'
                                ' where s.local and n.node_type = ''root'' and n.queue_name = s.queue_name' loop
            return next;
        end loop;
    end if;
    if pg_catalog.to_regprocedure('londiste.periodic_maintenance()') is not null then
        func_name := 'londiste.periodic_maintenance';
        func_arg := null;
        return next;
    end if;
end;
$$;
