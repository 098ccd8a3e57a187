-- Function: pgq._strlist_contains(2)
--
--      Internal, for the triggers: whether a list of names (the pkey= and
--      ignore= arguments, a primary key's column list) holds a name, as
--      PgQ's C triggers decide it: the name occurs in the list text with a
--      start, end, comma or white space on each side.
create or replace function pgq._strlist_contains(i_list text, i_name text)
returns boolean
language plpgsql immutable strict
as $$
declare
    _from integer := 1;
    _len  integer := pg_catalog.length(i_name);
    _p    integer;
begin
    loop
        _p := pg_catalog.strpos(pg_catalog.substr(i_list, _from), i_name);
        if _p operator(pg_catalog.=) 0 then
            return false;
        end if;
        _p := _p operator(pg_catalog.+) _from operator(pg_catalog.-) 1;
        if (_p operator(pg_catalog.=) 1
            or pg_catalog.substr(i_list, _p operator(pg_catalog.-) 1, 1) operator(pg_catalog.~) '^[[:space:],]$')
           and (_p operator(pg_catalog.+) _len operator(pg_catalog.>) pg_catalog.length(i_list)
                or pg_catalog.substr(i_list, _p operator(pg_catalog.+) _len, 1) operator(pg_catalog.~) '^[[:space:],]$') then
            return true;
        end if;
        _from := _p operator(pg_catalog.+) _len operator(pg_catalog.+) 1;
    end loop;
end;
$$;
