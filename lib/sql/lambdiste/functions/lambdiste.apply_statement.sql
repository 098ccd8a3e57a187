-- Function: lambdiste.apply_columns(2), lambdiste.merge_statement(3), lambdiste.apply_staged_statement(3),
--           lambdiste.apply_statement(2), lambdiste.merge_copy_statement(3), lambdiste.staged_tables(0)
--
--      The statements that write replicated rows into a subscriber table.
--      apply_columns makes the pieces all of them share, so that every
--      path writes a row the same way:
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
--        lower bounds, a json column's own text, a composite: see
--        lambdiste.capture_row_sql), the text form is taken.
--
--      merge_statement keeps the last change per primary key, deletes the
--      keys whose last change removes them and upserts the others (an
--      UPDATE that moved a primary key arrives as a D of the old key and a
--      U of the new row), and returns the number of rows written, in one
--      statement. Its changes come from:
--
--      - apply_staged_statement: the events of a batch staged in the
--        subscriber's pg_temp.lambdiste_batch (lib/replica/stage.ts), for
--        one table ($1) and range of event ids ($2 < ev_id < $3, either
--        NULL for no bound): each event's ev_data is a row or a json array
--        of rows (of one statement, so with distinct keys).
--      - apply_statement: a json array ($1) of rows, each with
--        _lambdiste_ev_ord_ (its position) and _lambdiste_op_ (I or U:
--        upsert; D: delete): the event-by-event fallback sends one at a time.
--
--      merge_copy_statement merges a copy chunk staged in a table of the
--      subscriber table's columns (add-table --skip-truncate).
--
--      staged_tables lists what a staged batch holds per table: the columns
--      of its first row (and whether its last row has the same), whether
--      all its row events are inserts, and its TRUNCATEs.
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
    -- The key columns quoted, comma-separated.
    out pk_cols text,
    -- t's key equals x's key.
    out match text)
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
           string_agg(format('t.%1$I %2$s x.%1$I', k.key_name, k.eq), ' and ' order by k.key_position)
      into pk, _pk, match
      from lambdiste.key_operators(i_table) k;
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

-- One statement applying a set of changes (i_changes: a query with %1$s
-- for the select list of the columns and %2$s for their json_to_recordset
-- definitions, yielding _ord, the order of the changes, and _keep, true
-- for an upsert) to a table.
create or replace function lambdiste.merge_statement(i_table regclass, i_columns text[], i_changes text)
returns text
language plpgsql stable
as $$
declare
    _c    record := lambdiste.apply_columns(i_table, i_columns);
    -- The changes (ch), then the last one per key (x).
    _last text := format($sql$
            with ch as (%1$s), x as (
                select distinct on (%2$s) * from ch order by %2$s, _ord desc
            )$sql$, format(i_changes, _c.exprs, _c.defs), _c.pk_cols);
begin
    if not _c.replace then
        return _last || format($sql$, del as (
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
    end if;
    -- Every key goes, then the rows kept come back: the insert waits for
    -- the delete by reading its count.
    return _last || format($sql$, del as (
            delete from %1$s t using x where %2$s
            returning x._keep
        ), ins as (
            insert into %1$s as t (%3$s) %4$s
            select %3$s from x where x._keep and (select count(*) from del) >= 0
            returning 1
        )
        select (select count(*) from del where not _keep) + (select count(*) from ins) as n
    $sql$, i_table, _c.match, _c.cols, _c.overriding);
end;
$$;

drop function if exists lambdiste.apply_statement(regclass, text[]);

create or replace function lambdiste.apply_statement(i_table regclass, i_columns text[])
returns text
language sql stable
as $$
    select lambdiste.merge_statement(i_table, i_columns, $q$
        select x._lambdiste_ev_ord_ as _ord, x._lambdiste_op_ in ('I', 'U') as _keep, %1$s
          from json_to_recordset($1::json) as x(_lambdiste_ev_ord_ integer, _lambdiste_op_ text, %2$s)$q$)
$$;

drop function if exists lambdiste.apply_staged_statement(regclass, text[]);

-- i_inserts: the events are all inserts (I), so their keys are distinct
-- (a key comes back only after a D): one plain upsert, no sort for the last
-- change per key.
create or replace function lambdiste.apply_staged_statement(i_table regclass, i_columns text[], i_inserts boolean)
returns text
language plpgsql stable
as $$
declare
    _staged constant text := $q$
          from pg_temp.lambdiste_batch s
         cross join lateral json_to_recordset(
                case when left(s.ev_data, 1) = '[' then s.ev_data::json else ('[' || s.ev_data || ']')::json end) as x(%2$s)
         where s.ev_extra1 = $1 and s.ev_type in ('I', 'U', 'D')
           and ($2::bigint is null or s.ev_id > $2) and ($3::bigint is null or s.ev_id < $3)$q$;
    _c record;
begin
    if i_inserts then
        _c := lambdiste.apply_columns(i_table, i_columns);
        if not _c.replace then
            return format('with ins as (insert into %s as t (%s) %s select %s %s %s returning 1) select count(*) as n from ins',
                          i_table, _c.cols, _c.overriding, _c.exprs, format(_staged, null, _c.defs), _c.conflict);
        end if;
    end if;
    return lambdiste.merge_statement(i_table, i_columns, 'select s.ev_id as _ord, s.ev_type <> ''D'' as _keep, %1$s' || _staged);
end;
$$;

-- The keys of a row event's (first) row, those of Lambdiste's own aside.
create or replace function lambdiste.row_keys(i_data text)
returns text[]
language sql immutable
as $$
    select array_agg(k order by n)
      from json_object_keys(case when left(i_data, 1) = '[' then i_data::json -> 0 else i_data::json end) with ordinality j(k, n)
     where k not like '\_lambdiste\_%'
$$;

drop function if exists lambdiste.staged_tables();

create or replace function lambdiste.staged_tables(
    out table_name text, out columns text[], out one_column_set boolean, out inserts boolean, out truncates bigint[])
returns setof record
language sql
as $$
    with t as (
        select ev_extra1,
               min(ev_id) filter (where ev_type in ('I', 'U', 'D')) as first_id,
               max(ev_id) filter (where ev_type in ('I', 'U', 'D')) as last_id,
               bool_and(ev_type = 'I') filter (where ev_type in ('I', 'U', 'D')) as inserts,
               coalesce(array_agg(ev_id order by ev_id) filter (where ev_type = 'R'), '{}') as truncates
          from pg_temp.lambdiste_batch
         where ev_extra1 is not null
         group by ev_extra1
    )
    -- The keys of the first and last events only: as scalar subqueries, so
    -- that the planner cannot join first and compute row_keys for every row.
    , k as (
        select t.*,
               lambdiste.row_keys((select b.ev_data from pg_temp.lambdiste_batch b where b.ev_id = t.first_id)) as first_keys,
               lambdiste.row_keys((select b.ev_data from pg_temp.lambdiste_batch b where b.ev_id = t.last_id)) as last_keys
          from t
    )
    select k.ev_extra1, k.first_keys, k.first_keys = k.last_keys, k.inserts, k.truncates
      from k
$$;

-- The table a batch's events are staged in on the subscriber, made once
-- per session (emptied at each commit).
create or replace function lambdiste.staging_table()
returns void
language plpgsql
as $$
begin
    if to_regclass('pg_temp.lambdiste_batch') is null then
        create temporary table lambdiste_batch (ev_id bigint, ev_type text, ev_data text, ev_extra1 text) on commit delete rows;
        -- Events of multi-row statements are tens of kB: compressing them on
        -- the way in costs more than the statements that read them save.
        alter table pg_temp.lambdiste_batch alter column ev_data set storage external;
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
