-- Function: lambdiste.create_capture_triggers(2), lambdiste.drop_capture_triggers(2)
--
--      (Re)creates or drops the capture triggers of a table for a queue:
--      _lambdiste_<queue> (rows) and _lambdiste_<queue>_truncate. The
--      primary key is read now and baked into the trigger's arguments; after
--      changing a table's primary key, add it again.
create or replace function lambdiste.create_capture_triggers(i_queue text, i_table regclass)
returns void
language plpgsql
as $$
declare
    _pk   text;
begin
    select string_agg(quote_literal(a.attname), ', ' order by k.n) into _pk
      from pg_index i
      cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
     where i.indrelid = i_table and i.indisprimary;
    if _pk is null then
        raise exception 'Primary key missing on table: %', i_table using errcode = '42P10';
    end if;
    perform lambdiste.drop_capture_triggers(i_queue, i_table);
    execute format('create trigger %I after insert or update or delete on %s for each row'
                   ' execute function lambdiste.capture(%L, %s)',
                   '_lambdiste_' || i_queue, i_table, i_queue, _pk);
    execute format('create trigger %I after truncate on %s for each statement'
                   ' execute function lambdiste.capture_truncate(%L)',
                   '_lambdiste_' || i_queue || '_truncate', i_table, i_queue);
end;
$$;

create or replace function lambdiste.drop_capture_triggers(i_queue text, i_table regclass)
returns void
language plpgsql
as $$
begin
    execute format('drop trigger if exists %I on %s', '_lambdiste_' || i_queue, i_table);
    execute format('drop trigger if exists %I on %s', '_lambdiste_' || i_queue || '_truncate', i_table);
end;
$$;
