-- Function: lambdiste.find_node(1)
--
--      This database's node for a queue, or a clear error telling what to run.
create or replace function lambdiste.find_node(i_queue text)
returns lambdiste.node
language plpgsql stable
as $$
declare
    _n lambdiste.node;
begin
    select * into _n from lambdiste.node where node_queue = i_queue;
    if not found then
        raise exception 'No node for queue % in this database: run create-root or create-leaf first',
            coalesce(i_queue, '<null>') using errcode = 'P0002';
    end if;
    return _n;
end;
$$;
