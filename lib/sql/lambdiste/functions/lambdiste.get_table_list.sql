-- Function: lambdiste.get_table_list(1), lambdiste.get_seq_list(1)
--
--      Tables and sequences replicated on this node, by name. Sequences
--      come with their current value (last_value; 0 before first use).
create or replace function lambdiste.get_table_list(
    i_queue text,
    out table_name text, out merge_state text, out table_attrs jsonb,
    out copy_rows bigint)
returns setof record
language sql stable
as $$
    select tbl_name, tbl_merge_state, tbl_attrs, tbl_copy_rows
      from lambdiste.table_info where tbl_queue = i_queue order by tbl_name
$$;

create or replace function lambdiste.get_seq_list(
    i_queue text, out seq_name text, out last_value bigint)
returns setof record
language plpgsql stable
as $$
declare
    _s record;
begin
    for _s in select * from lambdiste.seq_info where seq_queue = i_queue order by seq_name loop
        seq_name := _s.seq_name;
        last_value := case when to_regclass(_s.seq_name) is not null
                           then pgq.seq_getval(_s.seq_name) end;
        return next;
    end loop;
end;
$$;
