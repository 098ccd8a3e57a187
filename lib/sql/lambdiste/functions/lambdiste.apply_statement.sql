-- Function: lambdiste.apply_columns(2), lambdiste.apply_statement(2), lambdiste.merge_copy_statement(2)
--
--      The statements that write replicated rows into a subscriber table:
--      apply_statement's two for row events (built once per table and
--      column set, then prepared and reused by the consumer,
--      lib/replica/apply.ts: planning them per page, and reading the
--      catalog per page, costs as much as applying a small page), and
--      merge_copy_statement's for a copy chunk that keeps the rows already
--      there (add-table --skip-truncate). apply_columns makes the pieces
--      all of them share, so that every path writes a row the same way:
--
--      - Only the columns the rows carry are written: a subscriber's own
--        extra columns keep their values, generated columns are computed
--        here, and provider columns this table lacks are ignored.
--      - Identity columns, ALWAYS or BY DEFAULT, take the provider's
--        values (OVERRIDING SYSTEM VALUE). An ALWAYS identity column
--        outside the primary key can only be updated to DEFAULT, so on
--        such a table a row is replaced (deleted, then inserted) where it
--        would otherwise be updated.
--      - Keys are compared with the key index's own operators
--        (lambdiste.key_operators).
--      - Values are read from the json rows by json_to_recordset with the
--        table's own column types, so every type keeps its exact value;
--        where the capture also sent a value's text form (an array with
--        lower bounds, a json column holding the JSON null, a composite:
--        see lambdiste.capture_row_sql), the text form is taken.
--
--      Both apply statements keep the last event per primary key, delete
--      the keys whose last event removes them and upsert the others (an
--      UPDATE that moved a primary key arrives as a D of the old key and a
--      U of the new row), and return the number of rows written.
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
--      deterministic collation, compared with pg_catalog's =.
-- Parameters:
--      i_table    - the subscriber table
--      i_columns  - the keys of the events' row objects (the provider's columns)
-- Returns:
--      merge_sql, net_sql (see above), pk: the primary key columns in order
-- Replaced by apply_statement (an upgrade leaves it otherwise).
drop function if exists lambdiste.apply_rows(regclass, text);

create or replace function lambdiste.apply_columns(
    i_table regclass, i_columns text[],
    -- The columns written, quoted, comma-separated.
    out cols text,
    -- json_to_recordset's column definitions for them (and for the text forms).
    out defs text,
    -- The select list that reads them from the recordset x, as cols.
    out exprs text,
    -- 'overriding system value' when an identity column is written.
    out overriding text,
    -- The upsert's ON CONFLICT clause.
    out conflict text,
    -- Upserts must replace rows (an ALWAYS identity column outside the key).
    out replace boolean,
    out pk text[],
    -- The key columns quoted, comma-separated, and their definitions.
    out pk_cols text,
    out pk_defs text,
    -- t's key equals x's key.
    out match text,
    -- Node can compare the keys exactly (see net_sql).
    out comparable boolean)
language plpgsql stable
as $$
declare
    _pk    text[];
    _cols  text[];
    _always text[];
    _texts boolean;
begin
    select array_agg(k.key_name order by k.key_position),
           array_agg(quote_ident(k.key_name) order by k.key_position),
           string_agg(format('%I %s', k.key_name, k.key_type), ', ' order by k.key_position),
           string_agg(format('t.%1$I %2$s x.%1$I', k.key_name, k.eq), ' and ' order by k.key_position),
           bool_and(k.eq = 'OPERATOR(pg_catalog.=)'
                    and (a.atttypid in ('bool'::regtype, 'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype)
                         or (a.atttypid in ('text'::regtype, 'varchar'::regtype)
                             and coalesce((select c.collisdeterministic from pg_collation c where c.oid = a.attcollation), true))))
      into pk, _pk, pk_defs, match, comparable
      from lambdiste.key_operators(i_table) k
      join pg_attribute a on a.attrelid = i_table and a.attname = k.key_name;
    if _pk is null then
        raise exception 'Primary key missing on table: %', i_table using errcode = '42P10';
    end if;
    -- A value that may come in text form (lambdiste.text_form) is read from
    -- there when it does; json values, and those whose json form
    -- json_to_recordset could misread, are otherwise read from the raw json.
    select array_agg(quote_ident(attname) order by attnum),
           string_agg(format('%I %s', attname, case when form in ('json', 'jsonb', 'always') then 'json' else type end), ', ' order by attnum),
           string_agg(case form
                          when 'bounds' then format('coalesce((x._lambdiste_text_ ->> %L)::%s, x.%I) as %I', attname, type, attname, attname)
                          when 'json' then format('coalesce((x._lambdiste_text_ ->> %L)::%s, x.%I::%2$s) as %I', attname, type, attname, attname)
                          when 'jsonb' then format('coalesce((x._lambdiste_text_ ->> %L)::%s, x.%I::%2$s) as %I', attname, type, attname, attname)
                          when 'always' then format('coalesce((x._lambdiste_text_ ->> %L)::%s, (select v from json_to_record(json_build_object(''v'', x.%I)) as r(v %2$s))) as %I',
                                                    attname, type, attname, attname)
                          else format('x.%I', attname) end,
                      ', ' order by attnum),
           bool_or(form is not null),
           case when bool_or(attidentity <> '') then 'overriding system value' else '' end,
           coalesce(bool_or(attidentity = 'a' and attname::text <> all (pk)), false),
           coalesce(array_agg(quote_ident(attname)) filter (where attidentity = 'a'), '{}')
      into _cols, defs, exprs, _texts, overriding, replace, _always
      from (select attname, attnum, attidentity, format_type(atttypid, atttypmod) as type, lambdiste.text_form(atttypid) as form
              from pg_attribute
             where attrelid = i_table and attnum > 0 and not attisdropped and attgenerated = ''
               and attname = any (i_columns)) a;
    if _cols is null or not (_pk <@ _cols) then
        raise exception 'Events for % lack its primary key columns', i_table using errcode = '22023';
    end if;
    if _texts then
        defs := defs || ', _lambdiste_text_ json';
    end if;
    cols := array_to_string(_cols, ', ');
    pk_cols := array_to_string(_pk, ', ');
    -- Key columns are set too: a key equal to the one there may read
    -- otherwise (citext 'A' and 'a', numeric 1.0 and 1.00). Not ALWAYS
    -- identity columns, which can only be set to DEFAULT (their values are
    -- integers: equal is the same).
    conflict := format('on conflict (%s) do %s', pk_cols,
                       coalesce('update set ' || (select string_agg(format('%s = excluded.%s', c, c), ', ')
                                                    from unnest(_cols) c where c <> all (_always)), 'nothing'));
end;
$$;

create or replace function lambdiste.apply_statement(
    i_table regclass, i_columns text[],
    out merge_sql text, out net_sql text, out pk text[])
language plpgsql stable
as $$
declare
    _c    record := lambdiste.apply_columns(i_table, i_columns);
    -- The page's rows (ch), then the last event per key (x).
    _last text;
begin
    pk := _c.pk;
    _last := format($sql$
            with ch as (
                select x._lambdiste_ev_ord_ as _ord, x._lambdiste_op_ in ('I', 'U') as _keep, %1$s
                  from json_to_recordset($1::json) as x(_lambdiste_ev_ord_ integer, _lambdiste_op_ text, %2$s)
            ), x as (
                select distinct on (%3$s) * from ch order by %3$s, _ord desc
            )$sql$, _c.exprs, _c.defs, _c.pk_cols);
    if not _c.replace then
        merge_sql := _last || format($sql$, del as (
                delete from %1$s t using x where not x._keep and %2$s
                returning 1
            ), ins as (
                insert into %1$s as t (%3$s) %4$s
                select %3$s from x where x._keep
                %5$s
                returning 1
            )
            select (select count(*) from del) + (select count(*) from ins) as n
        $sql$, i_table, _c.match, _c.cols, _c.overriding, _c.conflict);
    else
        -- Every key of the page goes, then the rows it keeps come back: the
        -- insert waits for the delete by reading its count.
        merge_sql := _last || format($sql$, del as (
                delete from %1$s t using x where %2$s
                returning x._keep
            ), ins as (
                insert into %1$s as t (%3$s) %4$s
                select %3$s from x where x._keep and (select count(*) from del) >= 0
                returning 1
            )
            select (select count(*) from del where not _keep) + (select count(*) from ins) as n
        $sql$, i_table, _c.match, _c.cols, _c.overriding);
    end if;

    if _c.comparable and not _c.replace then
        net_sql := format($sql$
            with del as (
                delete from %1$s t using json_to_recordset($1::json) as x(%2$s) where %3$s
                returning 1
            ), ins as (
                insert into %1$s as t (%4$s) %5$s
                select %6$s from json_to_recordset($2::json) as x(%7$s)
                %8$s
                returning 1
            )
            select (select count(*) from del) + (select count(*) from ins) as n
        $sql$, i_table, _c.pk_defs, _c.match, _c.cols, _c.overriding, _c.exprs, _c.defs, _c.conflict);
    elsif _c.comparable then
        net_sql := format($sql$
            with del as (
                delete from %1$s t
                 using (select %2$s from json_to_recordset($1::json) as x(%3$s)
                        union all
                        select %2$s from json_to_recordset($2::json) as x(%3$s)) x
                 where %4$s
                returning 1
            ), ins as (
                insert into %1$s as t (%5$s) %6$s
                select %7$s from json_to_recordset($2::json) as x(%8$s)
                 where (select count(*) from del) >= 0
                returning 1
            )
            select (select count(*) from del) + (select count(*) from ins) as n
        $sql$, i_table, _c.pk_cols, _c.pk_defs, _c.match, _c.cols, _c.overriding, _c.exprs, _c.defs);
    end if;
end;
$$;

-- The statement that merges a copy chunk, staged in i_source (a table with
-- the subscriber table's columns), into the subscriber table: rows already
-- there with the same key take the chunk's values.
create or replace function lambdiste.merge_copy_statement(i_table regclass, i_source text, i_columns text[])
returns text
language plpgsql stable
as $$
declare
    _c record := lambdiste.apply_columns(i_table, i_columns);
begin
    if not _c.replace then
        return format('insert into %1$s as t (%2$s) %3$s select %2$s from %4$s %5$s',
                      i_table, _c.cols, _c.overriding, i_source, _c.conflict);
    end if;
    return format($sql$
        with del as (delete from %1$s t using %4$s x where %5$s returning 1)
        insert into %1$s as t (%2$s) %3$s select %2$s from %4$s where (select count(*) from del) >= 0
    $sql$, i_table, _c.cols, _c.overriding, i_source, _c.match);
end;
$$;
