-- Function: pgq.grant_perms(1), pgq._grant_perms_from(4)
--
--      grant_perms gives a queue's event tables the grants of
--      pgq.event_template (see pgq.upgrade_schema: SELECT for pgq_reader,
--      SELECT, INSERT and TRUNCATE for pgq_admin), and its sequences theirs:
--      both readable by everyone, the event sequence usable by pgq_admin.
--      _grant_perms_from copies the grants of one table to another.
-- Returns:
--      1
create or replace function pgq.grant_perms(x_queue_name text)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _q   record;
    _pos integer;
    _n   integer;
begin
    select * into _q from pgq.queue where queue_name = x_queue_name;
    if not found then
        raise exception 'Queue not found';
    end if;
    execute 'grant select on ' || pgq.quote_fqname(_q.queue_tick_seq) || ' to public';
    execute 'grant select on ' || pgq.quote_fqname(_q.queue_event_seq) || ' to public';
    if exists (select 1 from pg_roles where rolname = 'pgq_admin') then
        execute 'grant usage on ' || pgq.quote_fqname(_q.queue_event_seq) || ' to pgq_admin';
    end if;
    _pos := strpos(_q.queue_data_pfx, '.');
    perform pgq._grant_perms_from('pgq', 'event_template',
                                  substr(_q.queue_data_pfx, 1, _pos - 1), substr(_q.queue_data_pfx, _pos + 1));
    for _n in 0 .. _q.queue_ntables - 1 loop
        perform pgq._grant_perms_from('pgq', 'event_template',
                                      substr(_q.queue_data_pfx, 1, _pos - 1), substr(_q.queue_data_pfx, _pos + 1) || '_' || _n);
    end loop;
    return 1;
end;
$$;

create or replace function pgq._grant_perms_from(src_schema text, src_table text, dst_schema text, dst_table text)
returns integer
language plpgsql strict
set search_path = pg_catalog, pg_temp
as $$
declare
    _g record;
begin
    for _g in
        select case when a.grantee = 0 then 'public' else a.grantee::regrole::text end as grantee,
               a.privilege_type, a.is_grantable
          from pg_class c
          join pg_namespace n on n.oid = c.relnamespace,
               aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
         where n.nspname = src_schema and c.relname = src_table
           and a.grantee <> c.relowner
    loop
        execute format('grant %s on %I.%I to %s%s', _g.privilege_type, dst_schema, dst_table, _g.grantee,
                       case when _g.is_grantable then ' with grant option' else '' end);
    end loop;
    return 1;
end;
$$;
