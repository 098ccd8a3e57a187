-- Function: lambdiste.local_remove_table(2)
--
--      Stops replicating a table on this node. On the root (and a branch) its
--      capture triggers are dropped; the data stays everywhere.
-- Returns:
--      200 removed, 404 not replicated here.
-- Tables directly manipulated:
--      delete - lambdiste.table_info
create or replace function lambdiste.local_remove_table(
    i_queue text, i_table text, out ret_code integer, out ret_note text)
language plpgsql
as $$
declare
    _node  lambdiste.node := lambdiste.find_node(i_queue);
    _name  text := lambdiste.canonical_name(i_table);
    _rel   regclass := to_regclass(_name);
begin
    delete from lambdiste.table_info where tbl_queue = i_queue and tbl_name = _name;
    if not found then
        ret_code := 404;
        ret_note := format('%s not available', _name);
        return;
    end if;
    if _node.node_type in ('root', 'branch') and _rel is not null then
        perform lambdiste.drop_capture_triggers(i_queue, _rel);
    end if;
    ret_code := 200;
    ret_note := format('Table removed: %s', _name);
end;
$$;
