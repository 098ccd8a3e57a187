-- Function: lambdiste.capture_row_sql(2), lambdiste.text_form(1), lambdiste.text_form_condition(2)
--
--      The SQL expression, in a generated capture function, of a row's
--      event text: row_to_json of the row, exact for nearly every type
--      once the capture's settings are fixed (see create_capture_triggers),
--      but not for all. JSON has no place for an array's lower bounds
--      ('[0:1]={1,2}' becomes [1,2]) and cannot tell a json column holding
--      the JSON null from an SQL NULL. A column whose value may be one of
--      those is, when it is, also written in its text form, under the
--      reserved key _lambdiste_text_ at the end of the object:
--
--        {"id":1,"a":[1,2],"_lambdiste_text_":{"a":"[0:1]={1,2}"}}
--
--      and the subscriber takes the text form over the json value
--      (lambdiste.apply_columns). Rows that need none (nearly all) are
--      plain row_to_json, at no cost but a test per such column.
-- Parameters:
--      i_table - the captured table
--      i_rel   - the name its rows go by in the capture (a transition table)
-- How values of a type travel (NULL: as row_to_json writes them):
--   json    json: in text form when its text is not what json_to_recordset
--           would take from row_to_json: the JSON null (an SQL NULL
--           there), a string (its escapes rewritten), white space around
--   jsonb   jsonb: in text form when it holds the JSON null
--   bounds  arrays of other elements: in text form when their lower bounds
--           are not all 1 (json has no place for them)
--   always  composites, arrays of composites or json (whose JSON arrays
--           json_to_recordset would take for dimensions), int2vector and
--           oidvector (lower bound 0): always in text form
-- Domains travel as their base type.
create or replace function lambdiste.text_form(i_type oid)
returns text
language plpgsql stable
as $$
declare
    _t    record;
    _elem record;
begin
    select t.oid, t.typtype, t.typcategory, t.typelem, t.typbasetype into _t from pg_type t where t.oid = i_type;
    while _t.typtype = 'd' loop
        select t.oid, t.typtype, t.typcategory, t.typelem, t.typbasetype into _t from pg_type t where t.oid = _t.typbasetype;
    end loop;
    if _t.oid = 'json'::regtype then
        return 'json';
    elsif _t.oid = 'jsonb'::regtype then
        return 'jsonb';
    elsif _t.typtype = 'c' then
        return 'always';
    elsif _t.typcategory = 'A' then
        select t.oid, t.typtype, t.typbasetype, t.typarray into _elem from pg_type t where t.oid = _t.typelem;
        if _elem.typarray is distinct from _t.oid then
            return 'always';  -- not a true array: int2vector, oidvector
        end if;
        while _elem.typtype = 'd' loop
            select t.oid, t.typtype, t.typbasetype, t.typarray into _elem from pg_type t where t.oid = _elem.typbasetype;
        end loop;
        if _elem.typtype = 'c' or _elem.oid = 'json'::regtype or _elem.oid = 'jsonb'::regtype then
            return 'always';
        end if;
        return 'bounds';
    end if;
    return null;
end;
$$;

-- When a value (i_expr, of type i_type) goes in text form, as SQL; NULL: never.
create or replace function lambdiste.text_form_condition(i_type oid, i_expr text)
returns text
language sql stable
as $$
    select case lambdiste.text_form(i_type)
        when 'json' then format('(pg_catalog.json_typeof(%1$s) in (''null'', ''string'')'
                                ' or pg_catalog.btrim(%1$s::pg_catalog.text, E'' \t\n\r'') <> %1$s::pg_catalog.text)', i_expr)
        when 'jsonb' then format('pg_catalog.jsonb_typeof(%s) = ''null''', i_expr)
        -- num_nonnulls tests the value itself (IS NOT NULL on a row tests its fields).
        when 'always' then format('pg_catalog.num_nonnulls(%s) = 1', i_expr)
        -- Every dimension of a multidimensional array could carry bounds.
        when 'bounds' then format('(pg_catalog.array_ndims(%1$s) > 1 or pg_catalog.array_lower(%1$s, 1) <> 1)', i_expr)
    end
$$;

create or replace function lambdiste.capture_row_sql(i_table regclass, i_rel text)
returns text
language sql stable
as $$
    with texts as (
        select pg_catalog.string_agg(
                   pg_catalog.format('case when %s then %L || pg_catalog.to_json(%s.%I::pg_catalog.text)::pg_catalog.text end',
                                     c.cond, pg_catalog.to_json(c.attname::text)::text || ':', i_rel, c.attname),
                   ', ' order by c.attnum) as parts
          from (select a.attname, a.attnum, lambdiste.text_form_condition(a.atttypid, pg_catalog.format('%s.%I', i_rel, a.attname)) as cond
                  from pg_attribute a
                 where a.attrelid = i_table and a.attnum > 0 and not a.attisdropped) c
         where c.cond is not null
    )
    select case when parts is null then pg_catalog.format('pg_catalog.row_to_json(%s)::pg_catalog.text', i_rel)
                else pg_catalog.format($e$case when pg_catalog.concat_ws(',', %2$s) = '' then pg_catalog.row_to_json(%1$s)::pg_catalog.text
                    else pg_catalog.left(pg_catalog.row_to_json(%1$s)::pg_catalog.text, -1) || ',"_lambdiste_text_":{' || pg_catalog.concat_ws(',', %2$s) || '}}' end$e$,
                    i_rel, parts) end
      from texts
$$;
