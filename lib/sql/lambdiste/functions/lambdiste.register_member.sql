-- Function: lambdiste.register_member(5)
--
--      Adds a node to this database's copy of the queue's member list, or
--      updates it (its type, location and provider). Called on the root,
--      whose list subscribers copy (lambdiste.sync_members).
-- Tables directly manipulated:
--      insert/update - lambdiste.member
create or replace function lambdiste.register_member(
    i_queue text, i_node_name text, i_node_type text, i_location text, i_provider text)
returns void
language plpgsql
as $$
begin
    insert into lambdiste.member (member_queue, member_name, member_type, member_location, member_consumer, member_provider)
    values (i_queue, i_node_name, i_node_type, i_location,
            case when i_node_type <> 'root' then i_node_name end, i_provider)
    on conflict (member_queue, member_name) do update
       set member_type = excluded.member_type, member_location = coalesce(excluded.member_location, lambdiste.member.member_location),
           member_consumer = excluded.member_consumer, member_provider = excluded.member_provider,
           member_dead = false;
end;
$$;
