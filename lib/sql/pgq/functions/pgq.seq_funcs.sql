-- Function: pgq.seq_getval(1), pgq.seq_setval(2)
--
--      seq_getval reads a sequence's last_value without moving it.
--      seq_setval is setval() that only ever moves a sequence forward, so a
--      replicated sequence never hands out a value twice.
--
--      Names are read as PgQ reads them (pgq.quote_fqname: schema before the
--      first dot, public without one). A name already written with quoted
--      parts ("Odd Schema"."S") is taken as such; PgQ would quote it again
--      and fail.
-- Returns:
--      the sequence's last_value (afterwards, for seq_setval)
create or replace function pgq.seq_getval(i_seq_name text)
returns bigint
language plpgsql strict
as $$
declare
    _v bigint;
    _p text[];
begin
    if strpos(i_seq_name, '"') > 0 then
        _p := pg_catalog.parse_ident(i_seq_name);
        execute pg_catalog.format('select last_value from %s',
            pg_catalog.array_to_string(array(select pg_catalog.quote_ident(x) from pg_catalog.unnest(_p) x), '.'))
            into _v;
    else
        execute 'select last_value from ' || pgq.quote_fqname(i_seq_name) into _v;
    end if;
    return _v;
end;
$$;

create or replace function pgq.seq_setval(i_seq_name text, i_new_value bigint)
returns bigint
language plpgsql strict
as $$
declare
    _cur bigint := pgq.seq_getval(i_seq_name);
begin
    if _cur < i_new_value then
        if strpos(i_seq_name, '"') > 0 then
            perform pg_catalog.setval(i_seq_name::pg_catalog.regclass, i_new_value);
        else
            perform pg_catalog.setval(pgq.quote_fqname(i_seq_name)::pg_catalog.regclass, i_new_value);
        end if;
        return i_new_value;
    end if;
    return _cur;
end;
$$;
