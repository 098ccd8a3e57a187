-- Function: pgq._row_texts(1)
--
--      Internal, for the triggers: the text of each column of a row (its
--      type's output function, under the session's settings, as PgQ's C
--      triggers read values), NULL for NULL, in column order without
--      dropped columns. Read from the row's own text form, in which each
--      value is bare, or double-quoted with " and \ doubled; an empty bare
--      value is NULL. (E'' literals: they read the same whatever the
--      session's standard_conforming_strings.)
create or replace function pgq._row_texts(i_row anyelement)
returns text[]
language sql stable
as $$
    select pg_catalog.array_agg(
               case when m.f[1] is not null
                    then pg_catalog.regexp_replace(m.f[1], E'(["\\\\])\\1', E'\\1', 'g')
                    when m.f[2] operator(pg_catalog.=) '' then null
                    else m.f[2] end
               order by m.n)
      from pg_catalog.regexp_matches(
               pg_catalog.substr(i_row::pg_catalog.text, 2, pg_catalog.length(i_row::pg_catalog.text) operator(pg_catalog.-) 2),
               E'(?:^|,)(?:"((?:[^"\\\\]|""|\\\\\\\\)*)"|([^,"]*))(?=,|$)', 'g') with ordinality m(f, n)
$$;
