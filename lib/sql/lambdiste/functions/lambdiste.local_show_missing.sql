-- Function: lambdiste.local_show_missing(1)
--
--      Tables ('r') and sequences ('S') of this database that are not
--      replicated yet, outside system schemas and the queue's own. Unlike
--      Londiste, a sequence stops being listed once it is added.
--      (On a leaf, "missing" means what the provider replicates and this
--      node does not; the caller computes that from the provider's lists.)
create or replace function lambdiste.local_show_missing(
    i_queue text, out obj_kind text, out obj_name text)
returns setof record
language sql stable
as $$
    select c.relkind::text, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where c.relkind in ('r', 'S')
       and not c.relispartition
       and n.nspname not in ('pgq', 'pgq_ext', 'pgq_node', 'londiste', 'lambdiste',
                             'pg_catalog', 'information_schema')
       and n.nspname not like 'pg\_toast%'
       and n.nspname not like 'pg\_temp%'
       and not exists (select 1 from lambdiste.table_info t
                        where t.tbl_queue = i_queue
                          and t.tbl_name = quote_ident(n.nspname) || '.' || quote_ident(c.relname))
       and not exists (select 1 from lambdiste.seq_info s
                        where s.seq_queue = i_queue
                          and s.seq_name = quote_ident(n.nspname) || '.' || quote_ident(c.relname))
     order by 1, 2
$$;
