-- Migration 0002: PgQ 3.5's signatures, and the queue tables as PgQ's
-- clients use them.
--
-- * Every function of the schema is dropped, so that ../functions can
--   create them again with PgQ's parameter names (x_batch_id, queue_name,
--   ...): CREATE OR REPLACE cannot rename a parameter, and PgQ clients may
--   call with named arguments. Nothing in the database depends on them
--   (PL/pgSQL bodies hold no dependencies; no trigger used them before).
--   The grants are made again by pgq.upgrade_schema() at the end of the
--   install.
-- * An index on subscription.sub_batch, as PgQ has: every batch operation
--   looks its batch up by id.
-- * The event tables of existing queues get the defaults PgQ's event
--   tables have, so that rows can be written straight into
--   pgq.current_event_table(queue) (ev_id from the queue's sequence; here
--   also the partition keys). pgq.create_queue does the same for new ones.
do $$
declare
    _f regprocedure;
    _q record;
    _n integer;
begin
    for _f in select p.oid::regprocedure from pg_catalog.pg_proc p
               where p.pronamespace = 'pgq'::regnamespace
    loop
        execute format('drop function %s', _f);
    end loop;

    for _q in select queue_id, queue_ntables, queue_data_pfx, queue_event_seq from pgq.queue loop
        for _n in 0 .. _q.queue_ntables - 1 loop
            execute format('alter table %s alter column ev_queue set default %s,'
                           ' alter column ev_tbl set default %s,'
                           ' alter column ev_id set default pg_catalog.nextval(%L::pg_catalog.regclass)',
                           _q.queue_data_pfx || '_' || _n, _q.queue_id, _n, _q.queue_event_seq);
        end loop;
    end loop;
end;
$$;

create unique index subscription_batch_idx on pgq.subscription (sub_batch);
