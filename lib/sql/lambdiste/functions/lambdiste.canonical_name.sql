-- Function: lambdiste.canonical_name(1)
--
--      The one spelling Lambdiste stores and compares for a table or
--      sequence name: schema.name with each part quoted only where needed
--      (digoal_01.user_info, "Odd Schema"."T"). Accepts what a user types:
--      unqualified names mean schema public; quoted parts keep their case.
--      Anything that is not one or two identifiers is refused, so a name
--      can never carry SQL; so is a part longer than 63 bytes, which
--      PostgreSQL would cut and take for another object's name.
create or replace function lambdiste.canonical_name(i_name text)
returns text
language plpgsql immutable
as $$
declare
    _parts text[];
begin
    begin
        _parts := parse_ident(i_name);
    exception when others then
        raise exception 'Invalid name: %', coalesce(i_name, '<null>') using errcode = '42602';
    end;
    if cardinality(_parts) = 1 then
        _parts := array['public'] || _parts;
    elsif cardinality(_parts) <> 2 then
        raise exception 'Invalid name: % (expected schema.name)', i_name using errcode = '42602';
    end if;
    if octet_length(_parts[1]) > 63 or octet_length(_parts[2]) > 63 then
        raise exception 'Name too long: % (a name is at most 63 bytes)', i_name using errcode = '42622';
    end if;
    return quote_ident(_parts[1]) || '.' || quote_ident(_parts[2]);
end;
$$;
