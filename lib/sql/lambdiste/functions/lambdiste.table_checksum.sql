-- Function: lambdiste.table_checksum(4), lambdiste.table_row_hashes(5)
--
--      What compare and repair read of a table, computed on its own server
--      in one pass (a sequential scan, no sort), in the caller's snapshot.
--
--      table_checksum: the table's rows spread over i_buckets buckets by a
--      hash of their key (i_buckets a power of two), and per bucket the
--      number of rows and a checksum: the sum of the first 64 bits of the
--      md5 of each row's text form, so the order rows are read in does not
--      matter. Only buckets with rows are returned. The row's text form is
--      row(i_columns...)::text, the columns named by the caller (the
--      provider's, in its order), so a subscriber's own extra columns and
--      a different column order do not count; the settings every value's
--      text depends on are fixed (as the capture fixes them), so both
--      servers write a value the same way whatever their sessions say.
--
--      table_row_hashes: for the rows of the given buckets, each row's key
--      (as json, the key columns' values) and its md5: what repair compares
--      row by row where buckets differ.
-- Parameters:
--      i_table   - the table
--      i_columns - the columns compared (names as stored)
--      i_key     - its primary key columns, in key order
--      i_buckets - the number of buckets, a power of two (1: one total)
--      i_which   - table_row_hashes: the buckets wanted
create or replace function lambdiste.table_checksum(i_table regclass, i_columns text[], i_key text[], i_buckets integer)
returns table (bucket integer, row_count bigint, checksum numeric)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set extra_float_digits = 3 set DateStyle = 'ISO, YMD' set IntervalStyle = postgres set TimeZone = 'UTC'
set lc_monetary = 'C' set bytea_output = hex
as $$
begin
    if i_buckets is null or i_buckets < 1 or (i_buckets & (i_buckets - 1)) <> 0 then
        raise exception 'Buckets must be a power of two, not %', i_buckets using errcode = '22023';
    end if;
    return query execute format(
        'select (hashtext(row(%s)::text) & %s)::integer, count(*), sum((''x'' || left(md5(row(%s)::text), 16))::bit(64)::bigint::numeric)'
        ' from %s r group by 1',
        (select string_agg(format('r.%I', k), ', ') from unnest(i_key) k),
        i_buckets - 1,
        (select string_agg(format('r.%I', c), ', ') from unnest(i_columns) c),
        i_table);
end;
$$;

create or replace function lambdiste.table_row_hashes(i_table regclass, i_columns text[], i_key text[], i_buckets integer, i_which integer[])
returns table (key_json text, row_md5 text)
language plpgsql stable
set search_path = pg_catalog, pg_temp
set extra_float_digits = 3 set DateStyle = 'ISO, YMD' set IntervalStyle = postgres set TimeZone = 'UTC'
set lc_monetary = 'C' set bytea_output = hex
as $$
begin
    return query execute format(
        'select json_build_array(%s)::text, md5(row(%s)::text) from %s r'
        ' where (hashtext(row(%s)::text) & %s) = any ($1)',
        (select string_agg(format('r.%I', k), ', ') from unnest(i_key) k),
        (select string_agg(format('r.%I', c), ', ') from unnest(i_columns) c),
        i_table,
        (select string_agg(format('r.%I', k), ', ') from unnest(i_key) k),
        i_buckets - 1)
    using i_which;
end;
$$;

-- Function: lambdiste.repair_statements(5), lambdiste.format_escape(1)
--
--      repair's fixes, as SQL: for each row of i_table whose key (as
--      table_row_hashes writes it) is in i_keys, one statement built from
--      the row's values, written as literals in the fixed settings above:
--        insert - INSERT of the row (generated columns left out, identity
--                 columns given, OVERRIDING SYSTEM VALUE)
--        update - UPDATE of the row's other columns, by key
--        delete - DELETE of the row, by key
--      insert and update are made on the provider (from its rows), delete
--      on the subscriber (from the rows it has too many of). A literal is
--      taken by the column's type on the way in, so the statements run on
--      the subscriber in the same settings.
-- A text made safe to be a format() template: its % doubled.
create or replace function lambdiste.format_escape(i_text text)
returns text
language sql immutable
as $$ select pg_catalog.replace(i_text, '%', '%%') $$;

create or replace function lambdiste.repair_statements(i_table regclass, i_columns text[], i_key text[], i_keys text[], i_kind text)
returns setof text
language plpgsql stable
set search_path = pg_catalog, pg_temp
set extra_float_digits = 3 set DateStyle = 'ISO, YMD' set IntervalStyle = postgres set TimeZone = 'UTC'
set lc_monetary = 'C' set bytea_output = hex
as $$
declare
    _cols   text[];
    _where  text;
    _expr   text;
    _ident  boolean;
begin
    -- Columns that can be written: not generated.
    select array_agg(c order by n) into _cols
      from unnest(i_columns) with ordinality u(c, n)
      join pg_attribute a on a.attrelid = i_table and a.attname = u.c
     where a.attgenerated = '';
    select bool_or(a.attidentity <> '') into _ident
      from pg_attribute a where a.attrelid = i_table and a.attname = any (_cols);
    _where := (select string_agg(lambdiste.format_escape(quote_ident(k)) || ' = %s', ' and ') from unnest(i_key) k);
    -- The WHERE clause of the row, as an expression of r built with format().
    _where := format('format(%L, %s)', _where,
                     (select string_agg(format('quote_literal(r.%I::text)', k), ', ') from unnest(i_key) k));
    if i_kind = 'insert' then
        _expr := format('format(%L, %s)',
            format('insert into %s (%s)%s values (%s);', lambdiste.format_escape(i_table::text),
                   (select string_agg(lambdiste.format_escape(quote_ident(c)), ', ') from unnest(_cols) c),
                   case when _ident then ' overriding system value' else '' end,
                   (select string_agg('%s', ', ') from unnest(_cols) c)),
            (select string_agg(format('quote_nullable(r.%I::text)', c), ', ') from unnest(_cols) c));
    elsif i_kind = 'update' then
        if cardinality(_cols) = cardinality(i_key) then
            return;
        end if;
        _expr := format('format(%L, %s) || %s || %L',
            format('update %s set %s where ', lambdiste.format_escape(i_table::text),
                   (select string_agg(lambdiste.format_escape(quote_ident(c)) || ' = %s', ', ') from unnest(_cols) c where not c = any (i_key))),
            (select string_agg(format('quote_nullable(r.%I::text)', c), ', ') from unnest(_cols) c where not c = any (i_key)),
            _where, ';');
    elsif i_kind = 'delete' then
        _expr := format('%L || %s || %L', format('delete from %s where ', i_table), _where, ';');
    else
        raise exception 'Unknown kind of repair: %', i_kind using errcode = '22023';
    end if;
    return query execute format(
        'select %s from %s r where json_build_array(%s)::text = any ($1) order by json_build_array(%s)::text',
        _expr, i_table,
        (select string_agg(format('r.%I', k), ', ') from unnest(i_key) k),
        (select string_agg(format('r.%I', k), ', ') from unnest(i_key) k))
    using i_keys;
end;
$$;
