-- Function: lambdiste.local_add_table(4)
--
--      Adds a table to replication on this node. On the root the table
--      must have a primary key; its capture triggers are created and it is
--      'ok' at once (i_attrs.rows_per_event: rows per event of multi-row
--      statements, see lambdiste.create_capture_triggers). On a branch it
--      gets the same triggers, which refuse local changes there. On a leaf or a branch it waits (merge_state NULL) for its initial
--      copy, unless i_expect_sync says the data is already identical.
--      Whether a leaf's table is in the provider's set is checked by the
--      caller, which can reach the provider.
-- Returns:
--      200 added, 201 already added, 400 no primary key or a reserved
--      column name, 404 no such table.
-- Tables directly manipulated:
--      insert - lambdiste.table_info
create or replace function lambdiste.local_add_table(
    i_queue text, i_table text, i_attrs jsonb, i_expect_sync boolean,
    out ret_code integer, out ret_note text)
language plpgsql
as $$
declare
    _node  lambdiste.node := lambdiste.find_node(i_queue);
    _name  text := lambdiste.canonical_name(i_table);
    _rel   regclass := to_regclass(_name);
begin
    perform 1 from lambdiste.table_info where tbl_queue = i_queue and tbl_name = _name;
    if found then
        ret_code := 201;
        ret_note := format('%s already processed', _name);
        return;
    end if;
    if _rel is null or (select relkind from pg_class where oid = _rel) not in ('r', 'p') then
        ret_code := 404;
        ret_note := format('%s not available', _name);
        return;
    end if;
    if lambdiste.primary_key(_rel) is null then
        ret_code := 400;
        ret_note := format('Primary key missing on table: %s', _name);
        return;
    end if;
    -- Events and the apply use these keys beside the row's columns.
    select string_agg(quote_ident(attname), ', ') into ret_note
      from pg_attribute
     where attrelid = _rel and attnum > 0 and not attisdropped
       and attname in ('_lambdiste_text_', '_lambdiste_ev_ord_', '_lambdiste_op_');
    if ret_note is not null then
        ret_code := 400;
        ret_note := format('Column name reserved by Lambdiste on table %s: %s', _name, ret_note);
        return;
    end if;

    -- On a branch the same triggers refuse local changes (its queue
    -- refuses inserts) and do not fire for the changes its consumer
    -- applies: they become the root's capture triggers at takeover.
    if _node.node_type in ('root', 'branch') then
        perform lambdiste.create_capture_triggers(i_queue, _rel, coalesce((i_attrs ->> 'rows_per_event')::integer, 200));
    end if;
    insert into lambdiste.table_info (tbl_queue, tbl_name, tbl_merge_state, tbl_attrs)
    values (i_queue, _name,
            case when _node.node_type = 'root' or i_expect_sync then 'ok' end,
            coalesce(i_attrs, '{}'));
    ret_code := 200;
    ret_note := format('Table added: %s', _name);
end;
$$;
