-- Function: pgq.quote_fqname(1)
--
--      Quotes a possibly schema-qualified name for use in SQL: the text
--      before the first dot is the schema (public when there is no dot),
--      the rest the name, each quoted as an identifier if it needs to be.
-- Returns:
--      "schema"."name", each part quoted only where needed
create or replace function pgq.quote_fqname(i_name text)
returns text
language sql strict immutable
set search_path = pg_catalog, pg_temp
as $$
    select case when strpos(i_name, '.') > 0
                then quote_ident(split_part(i_name, '.', 1)) || '.'
                     || quote_ident(substr(i_name, strpos(i_name, '.') + 1))
                else 'public.' || quote_ident(i_name)
           end
$$;
