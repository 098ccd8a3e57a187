-- Function: lambdiste.apply_rows(4)
--
--      Applies a run of row events (I/U/D, in event order) to one table in
--      two set-based steps: the last event per primary key wins; keys whose
--      last event removes them are deleted, the others are upserted with
--      every column the subscriber writes (generated columns are computed
--      here, not copied). A U that moved its primary key removes the old key
--      first. Rows convert through the table's own row type, so every type
--      keeps its exact value.
-- Parameters:
--      i_table     - the subscriber table
--      i_ops       - 'I', 'U' or 'D' per event
--      i_data      - the row as json (ev_data)
--      i_oldkeys   - the old key of a U that changed it (ev_extra2), else NULL
-- Returns:
--      rows written (deleted + upserted)
create or replace function lambdiste.apply_rows(i_table regclass, i_ops text[], i_data text[], i_oldkeys text[])
returns bigint
language plpgsql
as $$
declare
    _pk      text[];
    _cols    text[];
    _keys    text;
    _join    text;
    _set     text;
    _n       bigint;
begin
    select array_agg(quote_ident(a.attname) order by k.n) into _pk
      from pg_index i
      cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = i_table and i.indisprimary;
    if _pk is null then
        raise exception 'Primary key missing on table: %', i_table using errcode = '42P10';
    end if;
    select array_agg(quote_ident(attname) order by attnum) into _cols
      from pg_attribute
     where attrelid = i_table and attnum > 0 and not attisdropped and attgenerated = '';

    select string_agg(format('(c.r).%s', k), ', '), string_agg(format('t.%s = (f.r).%s', k, k), ' and ')
      into _keys, _join
      from unnest(_pk) k;
    select string_agg(format('%s = excluded.%s', c, c), ', ') into _set
      from unnest(_cols) c where c <> all (_pk);

    execute format($sql$
        with ev as (
            select * from unnest($1::text[], $2::text[], $3::text[]) with ordinality as e(op, data, oldkey, ord)
        ), ch as (
            select e.ord, e.op <> 'D' as keep, json_populate_record(null::%1$s, e.data::json) as r
              from ev e
            union all
            select e.ord, false, json_populate_record(null::%1$s, e.oldkey::json)
              from ev e where e.op = 'U' and e.oldkey is not null
        ), f as (
            select distinct on (%2$s) c.ord, c.keep, c.r from ch c order by %2$s, c.ord desc, c.keep desc
        ), del as (
            delete from %1$s t using f where not f.keep and %3$s
            returning 1
        ), ins as (
            insert into %1$s as t (%4$s)
            select %5$s from f where f.keep
            on conflict (%6$s) do %7$s
            returning 1
        )
        select (select count(*) from del) + (select count(*) from ins)
    $sql$,
        i_table, _keys, _join,
        array_to_string(_cols, ', '),
        (select string_agg(format('(f.r).%s', c), ', ') from unnest(_cols) c),
        array_to_string(_pk, ', '),
        case when _set is null then 'nothing' else 'update set ' || _set end)
    into _n
    using i_ops, i_data, i_oldkeys;
    return _n;
end;
$$;
