-- Function: pgq.tune_storage(1)
--
--      Storage settings of a queue's event tables: they are insert-only and
--      emptied by TRUNCATE, so no free space is kept in their pages and
--      autovacuum has nothing to do there.
-- Returns:
--      1, or 0 if there is no such queue.
create or replace function pgq.tune_storage(i_queue_name text)
returns integer
language plpgsql strict
as $$
declare
    _q record;
    _n integer;
begin
    select queue_ntables, queue_data_pfx into _q from pgq.queue where queue_name = i_queue_name;
    if not found then
        return 0;
    end if;
    for _n in 0 .. _q.queue_ntables - 1 loop
        execute pg_catalog.format('alter table %s set (fillfactor = 100, autovacuum_enabled = off, toast.autovacuum_enabled = off)',
                                  pgq.quote_fqname(_q.queue_data_pfx || '_' || _n));
    end loop;
    return 1;
end;
$$;
