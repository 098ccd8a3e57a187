-- Function: pgq._urlenc_row(3), pgq._json_row(5), pgq._json_type(5)
--
--      Internal, for pgq._trigger_event: a row's columns (names and
--      texts, without those marked to skip) as logutriga's url-encoded
--      col=value&... (a NULL value is the bare name) or as jsontriga's JSON
--      object, and jsontriga's ev_type {"op":..,"table":[schema,table],
--      "pkey":[...]}: the primary key's columns, or those of a pkey=
--      argument split at commas.
create or replace function pgq._urlenc_row(i_names text[], i_values text[], i_skip boolean[])
returns text
language sql stable
as $$
    select coalesce(pg_catalog.string_agg(
               pgq._urlencode(i_names[i]) operator(pg_catalog.||)
               coalesce('=' operator(pg_catalog.||) pgq._urlencode(i_values[i]), ''), '&' order by i), '')
      from pg_catalog.generate_series(1, coalesce(pg_catalog.cardinality(i_names), 0)) i
     where not i_skip[i]
$$;

create or replace function pgq._json_row(i_row anyelement, i_names text[], i_types oid[], i_values text[], i_skip boolean[])
returns text
language plpgsql stable
as $$
declare
    _typed json;
    _out   text := '';
    _i     integer;
begin
    for _i in 1 .. coalesce(pg_catalog.cardinality(i_names), 0) loop
        continue when i_skip[_i];
        _out := _out operator(pg_catalog.||) case when _out operator(pg_catalog.=) '' then '' else ',' end
                operator(pg_catalog.||) pg_catalog.to_json(i_names[_i])::pg_catalog.text operator(pg_catalog.||) ':';
        if i_values[_i] is null then
            _out := _out operator(pg_catalog.||) 'null';
        elsif i_types[_i] in (20, 21, 23) then
            _out := _out operator(pg_catalog.||) i_values[_i];
        elsif i_types[_i] operator(pg_catalog.=) 16 then
            _out := _out operator(pg_catalog.||) case i_values[_i] when 't' then 'true' else 'false' end;
        elsif i_types[_i] in (1082, 1114, 1184) then
            -- PostgreSQL's JSON form of these is the C triggers' one (ISO 8601).
            if _typed is null then
                _typed := pg_catalog.row_to_json(i_row);
            end if;
            _out := _out operator(pg_catalog.||) (_typed operator(pg_catalog.->) i_names[_i])::pg_catalog.text;
        else
            _out := _out operator(pg_catalog.||) pg_catalog.to_json(i_values[_i])::pg_catalog.text;
        end if;
    end loop;
    return '{' operator(pg_catalog.||) _out operator(pg_catalog.||) '}';
end;
$$;

create or replace function pgq._json_type(i_op text, i_relid oid, i_schema text, i_table text, i_pkey text)
returns text
language sql stable
as $$
    select '{"op":' operator(pg_catalog.||) pg_catalog.to_json(i_op)::pg_catalog.text
           operator(pg_catalog.||) ',"table":[' operator(pg_catalog.||) pg_catalog.to_json(i_schema)::pg_catalog.text
           operator(pg_catalog.||) ',' operator(pg_catalog.||) pg_catalog.to_json(i_table)::pg_catalog.text
           operator(pg_catalog.||) '],"pkey":[' operator(pg_catalog.||)
           coalesce(case when i_pkey is not null
                    then (select pg_catalog.string_agg(pg_catalog.to_json(k)::pg_catalog.text, ',' order by n)
                            from pg_catalog.unnest(pg_catalog.string_to_array(i_pkey, ',')) with ordinality u(k, n))
                    else (select pg_catalog.string_agg(pg_catalog.to_json(a.attname::pg_catalog.text)::pg_catalog.text, ',' order by a.attnum)
                            from pg_catalog.pg_index x
                            join pg_catalog.pg_attribute a on a.attrelid operator(pg_catalog.=) x.indexrelid
                           where x.indrelid operator(pg_catalog.=) i_relid and x.indisprimary
                             and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped)
                    end, '')
           operator(pg_catalog.||) ']}'
$$;
