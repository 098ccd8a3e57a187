-- Function: pgq._urlencode(1)
--
--      Internal, for pgq.logutriga: URL-encodes text as PgQ's C trigger
--      does, byte by byte in the database encoding: letters, digits and
--      "_.-" stay, a space becomes "+", every other byte %xx (lower-case
--      hex).
create or replace function pgq._urlencode(i_text text)
returns text
language sql stable strict
as $$
    select case when i_text operator(pg_catalog.~) '^[-_.a-zA-Z0-9]*$' then i_text
           else (select pg_catalog.string_agg(
                            case when m.p[1] operator(pg_catalog.~) '^[-_.a-zA-Z0-9]' then m.p[1]
                                 else pg_catalog.replace(
                                          pg_catalog.regexp_replace(
                                              pg_catalog.encode(pg_catalog.convert_to(m.p[1], pg_catalog.getdatabaseencoding()), 'hex'),
                                              '(..)', E'%\\1', 'g'),
                                          '%20', '+')
                            end, '' order by m.n)
                   from pg_catalog.regexp_matches(i_text, '[-_.a-zA-Z0-9]+|[^-_.a-zA-Z0-9]+', 'g') with ordinality m(p, n))
           end
$$;
