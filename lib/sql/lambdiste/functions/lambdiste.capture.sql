-- Function: lambdiste.capture(), lambdiste.capture_truncate()
--
--      Capture triggers of replicated tables on the root. One event per row
--      change, through the public pgq.insert_event (so a real PgQ works too):
--        ev_type    I, U, D (R for TRUNCATE)
--        ev_data    the new row (the old one for D) as json: json, not jsonb,
--                   so that a json column's text arrives byte for byte
--        ev_extra1  the table, schema.name quoted as needed
--        ev_extra2  for U that changes the primary key: the old key, as json
--      Trigger arguments: the queue, then the primary key columns (fixed
--      when the trigger is made, so no catalog lookup per row).
--      Ordinary triggers: they do not fire while a subscriber applies
--      changes with session_replication_role = replica.
create or replace function lambdiste.capture()
returns trigger
language plpgsql
as $$
declare
    _table  text := quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME);
    _old    jsonb;
    _new    jsonb;
    _oldkey jsonb;
    _i      integer;
    _j      integer;
begin
    if TG_OP = 'INSERT' then
        perform pgq.insert_event(TG_ARGV[0], 'I', row_to_json(NEW)::text, _table, null, null, null);
    elsif TG_OP = 'UPDATE' then
        _old := to_jsonb(OLD);
        _new := to_jsonb(NEW);
        for _i in 1 .. TG_NARGS - 1 loop
            if _old -> TG_ARGV[_i] is distinct from _new -> TG_ARGV[_i] then
                _oldkey := '{}';
                for _j in 1 .. TG_NARGS - 1 loop
                    _oldkey := _oldkey || jsonb_build_object(TG_ARGV[_j], _old -> TG_ARGV[_j]);
                end loop;
                exit;
            end if;
        end loop;
        perform pgq.insert_event(TG_ARGV[0], 'U', row_to_json(NEW)::text, _table, _oldkey::text, null, null);
    else
        perform pgq.insert_event(TG_ARGV[0], 'D', row_to_json(OLD)::text, _table, null, null, null);
    end if;
    return null;
end;
$$;

create or replace function lambdiste.capture_truncate()
returns trigger
language plpgsql
as $$
begin
    perform pgq.insert_event(TG_ARGV[0], 'R', null,
                             quote_ident(TG_TABLE_SCHEMA) || '.' || quote_ident(TG_TABLE_NAME), null, null, null);
    return null;
end;
$$;
