-- Function: pgq.maint_tables_to_vacuum(0)
--
--      The small, often-updated tables of the queue (and of pgq_ext,
--      pgq_node and londiste where they exist) that need a VACUUM between
--      maintenance rounds; none while autovacuum is on, since it takes
--      care of them.
create or replace function pgq.maint_tables_to_vacuum()
returns setof text
language sql
as $$
    select n.nspname || '.' || c.relname
      from unnest(array['pgq.subscription', 'pgq.consumer', 'pgq.queue', 'pgq.tick', 'pgq.retry_queue',
                        'pgq_ext.completed_tick', 'pgq_ext.completed_batch', 'pgq_ext.completed_event',
                        'pgq_ext.partial_batch', 'pgq_node.local_state', 'londiste.seq_info',
                        'txid.epoch', 'londiste.completed']) with ordinality w(name, ord)
      join pg_catalog.pg_namespace n on n.nspname = split_part(w.name, '.', 1)
      join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = split_part(w.name, '.', 2)
     where pg_catalog.current_setting('autovacuum') <> 'on'
     order by w.ord
$$;
