-- Function: lambdiste.local_add_seq(2), lambdiste.local_remove_seq(2)
--
--      Adds or removes a sequence from replication on this node. A leaf's
--      sequences are moved forward by its consumer to at least the
--      provider's value, never back.
-- Returns:
--      add: 200 added, 201 already added, 404 no such sequence;
--      remove: 200 removed, 404 not replicated here.
-- Tables directly manipulated:
--      insert/delete - lambdiste.seq_info
create or replace function lambdiste.local_add_seq(
    i_queue text, i_seq text, out ret_code integer, out ret_note text)
language plpgsql
as $$
declare
    _node  lambdiste.node := lambdiste.find_node(i_queue);
    _name  text := lambdiste.canonical_name(i_seq);
    _rel   regclass := to_regclass(_name);
begin
    perform 1 from lambdiste.seq_info where seq_queue = i_queue and seq_name = _name;
    if found then
        ret_code := 201;
        ret_note := format('Sequence already added: %s', _name);
        return;
    end if;
    if _rel is null or (select relkind from pg_class where oid = _rel) <> 'S' then
        ret_code := 404;
        ret_note := format('%s not available', _name);
        return;
    end if;
    insert into lambdiste.seq_info (seq_queue, seq_name) values (i_queue, _name);
    ret_code := 200;
    ret_note := format('Sequence added: %s', _name);
end;
$$;

create or replace function lambdiste.local_remove_seq(
    i_queue text, i_seq text, out ret_code integer, out ret_note text)
language plpgsql
as $$
declare
    _node  lambdiste.node := lambdiste.find_node(i_queue);
    _name  text := lambdiste.canonical_name(i_seq);
begin
    delete from lambdiste.seq_info where seq_queue = i_queue and seq_name = _name;
    if not found then
        ret_code := 404;
        ret_note := format('%s not available', _name);
        return;
    end if;
    ret_code := 200;
    ret_note := format('Sequence removed: %s', _name);
end;
$$;
