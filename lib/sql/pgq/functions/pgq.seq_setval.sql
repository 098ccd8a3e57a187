-- Function: pgq.seq_getval(1), pgq.seq_setval(2)
--
--      seq_getval reads a sequence's last value without moving it.
--      seq_setval is setval() that only ever moves a sequence forward, so a
--      replicated sequence never hands out a value twice.
-- Returns:
--      the sequence's value afterwards
create or replace function pgq.seq_getval(i_seq_name text)
returns bigint
language plpgsql
as $$
declare
    _v bigint;
begin
    execute format('select last_value from %s', i_seq_name::regclass) into _v;
    return _v;
end;
$$;

create or replace function pgq.seq_setval(i_seq_name text, i_new_value bigint)
returns bigint
language plpgsql
as $$
declare
    _cur bigint := pgq.seq_getval(i_seq_name);
begin
    if i_new_value > _cur then
        perform setval(i_seq_name::regclass, i_new_value);
        return i_new_value;
    end if;
    return _cur;
end;
$$;
