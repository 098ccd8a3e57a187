-- Function: lambdiste.primary_key(1)
--
--      A table's primary key columns, in key order (names as stored, not
--      quoted); NULL when it has none.
create or replace function lambdiste.primary_key(i_table regclass)
returns text[]
language sql stable
as $$
    select array_agg(a.attname::text order by k.n)
      from pg_index i
      cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = i_table and i.indisprimary
$$;
