-- Function: lambdiste.apply_statement(2)
--
--      The statements that apply a run of row events to one table, built
--      once per table and column set, then prepared and reused by the
--      consumer (lib/replica/apply.ts): planning them per page, and reading
--      the catalog per page, costs as much as applying a small page.
--
--      Both keep the last event per primary key, delete the keys whose last
--      event removes them and upsert the others (an UPDATE that moved a
--      primary key arrives as a D of the old key and a U of the new row),
--      and return the number of rows written. Values are read from the json
--      rows by json_to_recordset with the table's own column types, so
--      every type keeps its exact value. Only the columns the events carry
--      are written: a subscriber's own extra columns keep their values,
--      generated columns are computed here, and provider columns this
--      table lacks are ignored.
--
--      merge_sql takes one json array, one object per event in event order:
--      the row (ev_data) plus _lambdiste_ev_ord_ (its position) and
--      _lambdiste_op_ (I or U: upsert; D: delete), and finds the last event
--      per key itself (DISTINCT ON, a sort).
--
--      net_sql takes the net effect already found by the caller: $1 the
--      rows to delete, $2 the rows to upsert, at most one per key in all.
--      It saves the sort and the materialised step, about a fifth of the
--      cost. It is offered (not null) only when the caller can compare the
--      keys exactly as PostgreSQL does, from their json values: every key
--      column is a bool, an integer, a uuid, or a text or varchar with a
--      deterministic collation.
-- Parameters:
--      i_table    - the subscriber table
--      i_columns  - the keys of the events' row objects (the provider's columns)
-- Returns:
--      merge_sql, net_sql (see above), pk: the primary key columns in order
-- Replaced by this function (an upgrade leaves it otherwise).
drop function if exists lambdiste.apply_rows(regclass, text);

create or replace function lambdiste.apply_statement(
    i_table regclass, i_columns text[],
    out merge_sql text, out net_sql text, out pk text[])
language plpgsql stable
as $$
declare
    _pk       text[];
    _pk_defs  text;
    _comparable boolean;
    _cols     text[];
    _defs     text;
    _set      text;
    _match    text;
begin
    select array_agg(a.attname::text order by k.n),
           array_agg(quote_ident(a.attname) order by k.n),
           string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)), ', ' order by k.n),
           bool_and(a.atttypid in ('bool'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype)
                    or (a.atttypid in ('text'::regtype, 'varchar'::regtype)
                        and coalesce((select c.collisdeterministic from pg_collation c where c.oid = a.attcollation), true)))
      into pk, _pk, _pk_defs, _comparable
      from pg_index i
      cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = i_table and i.indisprimary;
    if _pk is null then
        raise exception 'Primary key missing on table: %', i_table using errcode = '42P10';
    end if;
    select array_agg(quote_ident(attname) order by attnum),
           string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' order by attnum)
      into _cols, _defs
      from pg_attribute
     where attrelid = i_table and attnum > 0 and not attisdropped and attgenerated = ''
       and attname = any (i_columns);
    if _cols is null or not (_pk <@ _cols) then
        raise exception 'Events for % lack its primary key columns', i_table using errcode = '22023';
    end if;
    _set := coalesce('update set ' || (select string_agg(format('%s = excluded.%s', c, c), ', ')
                                         from unnest(_cols) c where c <> all (_pk)), 'nothing');
    _match := format('(%s) = (%s)',
                     (select string_agg('t.' || k, ', ') from unnest(_pk) k),
                     (select string_agg('x.' || k, ', ') from unnest(_pk) k));

    merge_sql := format($sql$
        with ch as (
            select x._lambdiste_ev_ord_ as _ord, x._lambdiste_op_ in ('I', 'U') as _keep, %2$s
              from json_to_recordset($1::json) as x(_lambdiste_ev_ord_ integer, _lambdiste_op_ text, %3$s)
        ), x as (
            select distinct on (%4$s) * from ch order by %4$s, _ord desc
        ), del as (
            delete from %1$s t using x where not x._keep and %5$s
            returning 1
        ), ins as (
            insert into %1$s as t (%2$s)
            select %2$s from x where x._keep
            on conflict (%4$s) do %6$s
            returning 1
        )
        select (select count(*) from del) + (select count(*) from ins) as n
    $sql$, i_table, array_to_string(_cols, ', '), _defs, array_to_string(_pk, ', '), _match, _set);

    if _comparable then
        net_sql := format($sql$
            with del as (
                delete from %1$s t using json_to_recordset($1::json) as x(%7$s) where %5$s
                returning 1
            ), ins as (
                insert into %1$s as t (%2$s)
                select %2$s from json_to_recordset($2::json) as x(%3$s)
                on conflict (%4$s) do %6$s
                returning 1
            )
            select (select count(*) from del) + (select count(*) from ins) as n
        $sql$, i_table, array_to_string(_cols, ', '), _defs, array_to_string(_pk, ', '), _match, _set, _pk_defs);
    end if;
end;
$$;
