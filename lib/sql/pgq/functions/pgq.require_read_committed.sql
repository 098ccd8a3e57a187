-- Function: pgq.require_read_committed(1)
--
--      Internal: refuse to run in REPEATABLE READ or SERIALIZABLE. The ticker
--      and rotation read the state other transactions just committed and
--      take a fresh snapshot per statement; an old transaction snapshot
--      would make them write ticks out of order or truncate live events.
create or replace function pgq.require_read_committed(i_what text)
returns void
language plpgsql
as $$
begin
    if current_setting('transaction_isolation') <> 'read committed' then
        raise exception '% must run in a READ COMMITTED transaction', i_what
            using errcode = '25001';
    end if;
end;
$$;
