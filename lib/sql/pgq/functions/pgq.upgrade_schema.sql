-- Function: pgq.upgrade_schema(0), pgq._regprocs(1)
--
--      Brings the schema's roles and grants to PgQ's, after an install or
--      upgrade (lib/install.ts calls it; it is safe to call again):
--
--      * Roles (cluster-wide, made only if missing, and only when the
--        calling user may create roles; otherwise a NOTICE says so and the
--        DBA makes them, see README.md):
--          pgq_reader - consumers: register, read batches, retry, finish
--          pgq_writer - producers: insert_event, the triggers
--          pgq_admin  - queue management, ticker and maintenance; member
--                       of both others
--      * EXECUTE as in PgQ: the informational functions (get_queue_info,
--        get_consumer_info, seq_getval, quote_fqname, version) to PUBLIC,
--        the rest to the role that uses them; Lambdiste's internal helpers
--        to PUBLIC (they are called by the others as their caller and
--        change nothing by themselves). Everything else is the owner's.
--      * Tables as in PgQ: pgq.queue, consumer, tick, subscription readable
--        by PUBLIC and pgq_reader, writable by pgq_admin; the event tables
--        readable by pgq_reader only, writable and truncatable by pgq_admin
--        (and each queue's tables likewise, pgq.grant_perms);
--        pgq.retry_queue for pgq_admin only. USAGE on the schema for
--        PUBLIC.
--      Grants to roles that do not exist are left out; calling this again
--      once they do makes them. Only the schema's owner can grant: for
--      other callers only the roles are made.
-- Returns:
--      0
create or replace function pgq.upgrade_schema()
returns integer
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    _may_create boolean;
    _role   text;
    _roles  text[] := '{}';
    _fn     regprocedure;
    _grantee text;
    _from   text;
    _owner  boolean;
    _q      record;
    _n      integer;
    _public text[] := array['pgq.seq_getval(text)', 'pgq.get_queue_info()', 'pgq.get_queue_info(text)',
        'pgq.get_consumer_info()', 'pgq.get_consumer_info(text)', 'pgq.get_consumer_info(text,text)',
        'pgq.quote_fqname(text)', 'pgq.version()'];
    _reader text[] := array['pgq.batch_event_sql(bigint)', 'pgq.batch_event_tables(bigint)',
        'pgq.find_tick_helper(integer,bigint,timestamptz,bigint,bigint,interval)',
        'pgq.register_consumer(text,text)', 'pgq.register_consumer_at(text,text,bigint)',
        'pgq.unregister_consumer(text,text)', 'pgq.next_batch_info(text,text)', 'pgq.next_batch(text,text)',
        'pgq.next_batch_custom(text,text,interval,integer,interval)', 'pgq.get_batch_events(bigint)',
        'pgq.get_batch_info(bigint)', 'pgq.get_batch_cursor(bigint,text,integer,text)',
        'pgq.get_batch_cursor(bigint,text,integer)', 'pgq.event_retry(bigint,bigint,timestamptz)',
        'pgq.event_retry(bigint,bigint,integer)', 'pgq.batch_retry(bigint,integer)',
        'pgq.force_tick(text)', 'pgq.finish_batch(bigint)'];
    _writer text[] := array['pgq.insert_event(text,text,text)', 'pgq.insert_event(text,text,text,text,text,text,text)',
        'pgq.current_event_table(text)', 'pgq.jsontriga()', 'pgq.sqltriga()', 'pgq.logutriga()'];
    _admin  text[] := array['pgq.ticker(text,bigint,timestamptz,bigint)', 'pgq.ticker(text)', 'pgq.ticker()',
        'pgq.maint_retry_events()', 'pgq.maint_rotate_tables_step1(text)', 'pgq.maint_rotate_tables_step2()',
        'pgq.maint_tables_to_vacuum()', 'pgq.maint_operations()', 'pgq.upgrade_schema()',
        'pgq.grant_perms(text)', 'pgq._grant_perms_from(text,text,text,text)', 'pgq.tune_storage(text)',
        'pgq.seq_setval(text,bigint)', 'pgq.create_queue(text)', 'pgq.drop_queue(text,boolean)',
        'pgq.drop_queue(text)', 'pgq.set_queue_config(text,text,text)',
        'pgq.insert_event_raw(text,bigint,timestamptz,integer,integer,text,text,text,text,text,text)',
        'pgq.event_retry_raw(text,text,timestamptz,bigint,timestamptz,integer,text,text,text,text,text,text)'];
begin
    select rolsuper or rolcreaterole into _may_create from pg_roles where rolname = current_user;
    foreach _role in array array['pgq_reader', 'pgq_writer', 'pgq_admin'] loop
        continue when exists (select 1 from pg_roles where rolname = _role);
        if not _may_create then
            raise notice 'Role % is missing and % may not create roles: see "PgQ compatibility" in Lambdiste''s README for the grants to run by hand',
                _role, current_user;
            continue;
        end if;
        begin
            if _role = 'pgq_admin' then
                create role pgq_admin in role pgq_reader, pgq_writer;
            else
                execute format('create role %I', _role);
            end if;
        exception
            when duplicate_object or unique_violation then
                null;  -- made meanwhile by an install in another database
            when insufficient_privilege or invalid_grant_operation then
                raise notice 'Could not create role %: %', _role, sqlerrm;
        end;
    end loop;
    select array_agg(r) into _roles from unnest(array['pgq_reader', 'pgq_writer', 'pgq_admin']) r
     where exists (select 1 from pg_roles where rolname = r);
    _roles := coalesce(_roles, '{}');

    select pg_has_role(current_user, n.nspowner, 'USAGE') into _owner from pg_namespace n where n.nspname = 'pgq';
    if not _owner then
        return 0;
    end if;

    grant usage on schema pgq to public;
    _from := coalesce((select string_agg(', ' || r, '') from unnest(_roles) r), '');
    for _fn, _grantee in
        select p.oid::regprocedure,
               case when p.oid = any (pgq._regprocs(_reader)) then 'pgq_reader'
                    when p.oid = any (pgq._regprocs(_writer)) then 'pgq_writer'
                    when p.oid = any (pgq._regprocs(_admin)) then 'pgq_admin'
                    else 'public' end
          from pg_proc p where p.pronamespace = 'pgq'::regnamespace
    loop
        execute format('revoke all on function %s from public%s', _fn, _from);
        if _grantee = 'public' or _grantee = any (_roles) then
            execute format('grant execute on function %s to %s', _fn, _grantee);
        end if;
    end loop;

    execute format('revoke all on table pgq.consumer, pgq.queue, pgq.tick, pgq.subscription, pgq.event_template,'
                   ' pgq.retry_queue from public%s', _from);
    grant select on table pgq.consumer, pgq.queue, pgq.tick, pgq.subscription to public;
    if 'pgq_reader' = any (_roles) then
        grant select on table pgq.consumer, pgq.queue, pgq.tick, pgq.subscription, pgq.event_template to pgq_reader;
    end if;
    if 'pgq_admin' = any (_roles) then
        grant select, insert, update, delete on table pgq.consumer, pgq.queue, pgq.tick, pgq.subscription,
            pgq.retry_queue to pgq_admin;
        grant select, insert, truncate on table pgq.event_template to pgq_admin;
    end if;
    for _q in select * from pgq.queue loop
        for _n in -1 .. _q.queue_ntables - 1 loop
            execute format('revoke all on table %s from public%s',
                           pgq.quote_fqname(_q.queue_data_pfx || case when _n < 0 then '' else '_' || _n end), _from);
        end loop;
        perform pgq.grant_perms(_q.queue_name);
    end loop;
    return 0;
end;
$$;

-- The functions of a list of signatures that exist.
create or replace function pgq._regprocs(i_signatures text[])
returns oid[]
language sql stable
set search_path = pg_catalog, pg_temp
as $$ select coalesce(array_agg(to_regprocedure(s)::oid) filter (where to_regprocedure(s) is not null), '{}')
        from unnest(i_signatures) s $$;
