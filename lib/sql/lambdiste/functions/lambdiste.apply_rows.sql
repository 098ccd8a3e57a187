-- Function: lambdiste.apply_rows(2)
--
--      Applies a run of row events for one table in two set-based steps:
--      the last event per primary key wins; keys whose last event removes
--      them are deleted, the others are upserted (an UPDATE that moved a
--      primary key arrives as a D of the old key and a U of the new row).
--      Values convert from json
--      with each column's own type (json_to_recordset with the table's
--      column types), so every type keeps its exact value. Only columns the
--      events carry are written: a subscriber's own extra columns keep
--      their values, generated columns are computed here.
-- Parameters:
--      i_table  - the subscriber table
--      i_rows   - a json array, one object per event in event order: the
--                 row (ev_data) with two more keys, _lambdiste_ev_ord_
--                 (position) and _lambdiste_op_: I or U (upsert this row),
--                 D (delete this row's key)
-- Returns:
--      rows written (deleted + upserted)
create or replace function lambdiste.apply_rows(i_table regclass, i_rows text)
returns bigint
language plpgsql
as $$
declare
    _pk      text[];
    _present text[];
    _cols    text[];
    _defs    text;
    _n       bigint;
begin
    select array_agg(quote_ident(k) order by n) into _pk from unnest(lambdiste.primary_key(i_table)) with ordinality u(k, n);
    if _pk is null then
        raise exception 'Primary key missing on table: %', i_table using errcode = '42P10';
    end if;
    -- The provider's columns, as the first event shows them.
    select array_agg(k) into _present from json_object_keys((i_rows::json) -> 0) k;
    select array_agg(quote_ident(attname) order by attnum),
           string_agg(format('%I %s', attname, format_type(atttypid, atttypmod)), ', ' order by attnum)
      into _cols, _defs
      from pg_attribute
     where attrelid = i_table and attnum > 0 and not attisdropped and attgenerated = ''
       and attname = any (_present);
    if not (_pk <@ _cols) then
        raise exception 'Events for % lack its primary key columns', i_table using errcode = '22023';
    end if;

    execute format($sql$
        with ch as (
            select x._lambdiste_ev_ord_ as _ord, x._lambdiste_op_ in ('I', 'U') as _keep, %2$s
              from json_to_recordset($1::json) as x(_lambdiste_ev_ord_ integer, _lambdiste_op_ text, %3$s)
        ), f as (
            select distinct on (%4$s) * from ch order by %4$s, _ord desc
        ), del as (
            delete from %1$s t using f where not f._keep and (%5$s) = (%6$s)
            returning 1
        ), ins as (
            insert into %1$s as t (%2$s)
            select %2$s from f where f._keep
            on conflict (%4$s) do %7$s
            returning 1
        )
        select (select count(*) from del) + (select count(*) from ins)
    $sql$,
        i_table,
        array_to_string(_cols, ', '),
        _defs,
        array_to_string(_pk, ', '),
        (select string_agg('t.' || k, ', ') from unnest(_pk) k),
        (select string_agg('f.' || k, ', ') from unnest(_pk) k),
        coalesce('update set ' || (select string_agg(format('%s = excluded.%s', c, c), ', ')
                                     from unnest(_cols) c where c <> all (_pk)), 'nothing'))
    into _n
    using i_rows;
    return _n;
end;
$$;
