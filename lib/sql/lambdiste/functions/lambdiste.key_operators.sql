-- Function: lambdiste.key_operators(1)
--
--      A table's primary key columns, in key order, with the comparison
--      operators of their index's operator class, written out in full
--      (OPERATOR(schema.=)). Whoever compares or orders keys in generated
--      SQL uses these: they are the key's own semantics (a citext key is
--      compared as citext, a text_pattern_ops key in pattern order), and no
--      search_path can put another operator in their place.
-- Returns:
--      one row per key column, in key order: its position (from 1), its
--      name (as stored), its type (format_type, as the caller's search_path
--      shows it), and the =, <, <=, > operators
create or replace function lambdiste.key_operators(
    i_table regclass,
    out key_position integer, out key_name text, out key_type text, out eq text, out lt text, out le text, out gt text)
returns setof record
language sql stable
as $$
    select k.n + 1, a.attname::text, pg_catalog.format_type(a.atttypid, a.atttypmod),
           ops.eq, ops.lt, ops.le, ops.gt
      from pg_catalog.pg_index i
     cross join lateral pg_catalog.generate_series(0, i.indnkeyatts - 1) k(n)
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[k.n]
      join pg_catalog.pg_opclass c on c.oid = i.indclass[k.n]
     cross join lateral (
        select pg_catalog.max(op.s) filter (where ao.amopstrategy = 3) as eq,
               pg_catalog.max(op.s) filter (where ao.amopstrategy = 1) as lt,
               pg_catalog.max(op.s) filter (where ao.amopstrategy = 2) as le,
               pg_catalog.max(op.s) filter (where ao.amopstrategy = 5) as gt
          from pg_catalog.pg_amop ao
          join pg_catalog.pg_operator o on o.oid = ao.amopopr
          join pg_catalog.pg_namespace ns on ns.oid = o.oprnamespace
         cross join lateral (select pg_catalog.format('OPERATOR(%I.%s)', ns.nspname, o.oprname) as s) op
         where ao.amopfamily = c.opcfamily and ao.amoplefttype = c.opcintype and ao.amoprighttype = c.opcintype
     ) ops
     where i.indrelid = i_table and i.indisprimary
     order by k.n
$$;
