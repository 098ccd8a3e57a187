-- Function: pgq.jsontriga(0)
--
--      Trigger function: queues each row change of the table it is on, as
--      JSON, in the queue named by its first argument, with PgQ's
--      encodings and arguments (see pgq._trigger_event):
--        CREATE TRIGGER t AFTER INSERT OR UPDATE OR DELETE ON tbl
--            FOR EACH ROW EXECUTE FUNCTION pgq.jsontriga('queue'[, args]);
--        CREATE TRIGGER t_truncate AFTER TRUNCATE ON tbl
--            FOR EACH STATEMENT EXECUTE FUNCTION pgq.jsontriga('queue');
--      Optional arguments: SKIP (in a BEFORE trigger: queue the event, skip
--      the change), backup (ev_extra2: the old row of an UPDATE), deny
--      (refuse any change), ignore=col1,col2, pkey=col1,col2,
--      ev_type=EXPR, ev_data=EXPR, ev_extra1..4=EXPR, when=EXPR.
--      Does nothing with session_replication_role = local (and, as any
--      trigger not set ENABLE ALWAYS or REPLICA, does not fire in replica).
--      Not a security definer: it runs as the writer, who needs EXECUTE on
--      pgq.insert_event (pgq_writer).
create or replace function pgq.jsontriga()
returns trigger
language plpgsql
as $$
begin
    if pg_catalog.current_setting('session_replication_role') operator(pg_catalog.<>) 'local' then
        if TG_LEVEL operator(pg_catalog.=) 'STATEMENT' then
            perform pgq._trigger_event('J', TG_ARGV, TG_OP, TG_WHEN, TG_LEVEL, TG_RELID, TG_TABLE_SCHEMA,
                                       TG_TABLE_NAME, null::pg_catalog.text, null::pg_catalog.text);
        elsif pgq._trigger_event('J', TG_ARGV, TG_OP, TG_WHEN, TG_LEVEL, TG_RELID, TG_TABLE_SCHEMA,
                                 TG_TABLE_NAME, OLD, NEW) then
            return null;
        end if;
    end if;
    if TG_WHEN operator(pg_catalog.=) 'AFTER' or TG_LEVEL operator(pg_catalog.=) 'STATEMENT' then
        return null;
    elsif TG_OP operator(pg_catalog.=) 'DELETE' then
        return OLD;
    end if;
    return NEW;
end;
$$;
