-- Function: pgq._trigger_event(9), pgq._trigger_args(3)
--
--      Internal: the work of pgq.logutriga, pgq.sqltriga and pgq.jsontriga
--      (i_kind 'L', 'Q', 'J'), as PgQ's C triggers do it, byte for byte.
--
--      _trigger_args reads the trigger's arguments after the queue name, in
--      order: SKIP, backup, deny, ignore=cols, pkey=cols, ev_type=,
--      ev_data=, ev_extra1..4= and when= expressions; anything else is an
--      error. It returns them as (name, value) rows, expressions with the
--      field they set.
--
--      _trigger_event builds and queues the event of one row change
--      (i_old and i_new are the trigger's OLD and NEW; i_op 'INSERT',
--      'UPDATE', 'DELETE') or of a TRUNCATE (i_level 'STATEMENT', rows
--      NULL):
--        ev_type   logutriga: I:/U:/D: and the key columns (R for TRUNCATE);
--                  sqltriga: I/U/D/R; jsontriga: {"op":..,"table":[..],"pkey":[..]}
--        ev_data   logutriga: col=value&... url-encoded (a NULL value is the
--                  bare name); sqltriga: an INSERT's (cols) values (...), an
--                  UPDATE's changed columns "where" its key, a DELETE's key
--                  condition; jsontriga: the row as a JSON object; TRUNCATE
--                  '' ({} for jsontriga)
--        ev_extra1 schema.table
--        ev_extra2 with backup, the old row of an UPDATE (url-encoded; JSON
--                  for jsontriga)
--      Values are the columns' text (their output functions, under the
--      session's settings); jsontriga writes bool, int2/4/8, date,
--      timestamp and timestamptz columns as JSON values and every other
--      type as a JSON string. Columns named _pgq_ev_type, _pgq_ev_data and
--      _pgq_ev_extra1..4 are left out of the data and set those fields;
--      the expressions (over the row's columns) set them after that; an
--      event whose when= is false is not queued. An UPDATE that changed
--      nothing but ignored columns queues nothing; one that changes a key
--      column is refused.
--      Returns true when the row change itself is to be skipped (SKIP, in
--      a BEFORE trigger).
create or replace function pgq._trigger_args(i_argv text[], i_truncate boolean, out arg_name text, out arg_value text)
returns setof record
language plpgsql
as $$
declare
    _i   integer;
    _a   text;
    _k   text;
begin
    for _i in coalesce(pg_catalog.array_lower(i_argv, 1) operator(pg_catalog.+) 1, 1)
              .. coalesce(pg_catalog.array_upper(i_argv, 1), 0) loop
        _a := i_argv[_i];
        _k := pg_catalog.substring(_a, '^(ignore|pkey|ev_extra[1-4]|ev_data|ev_type|when)=');
        if _a operator(pg_catalog.=) 'SKIP' then
            arg_name := 'skip';
            arg_value := null;
        elsif _a operator(pg_catalog.=) 'backup' or _a operator(pg_catalog.=) 'deny' then
            arg_name := _a;
            arg_value := null;
        elsif _k is not null then
            if i_truncate and _k not in ('ignore', 'pkey') then
                raise exception 'Custom expressions do not make sense for truncater trigger' using errcode = 'XX000';
            end if;
            arg_name := _k;
            arg_value := pg_catalog.substr(_a, pg_catalog.length(_k) operator(pg_catalog.+) 2);
        else
            raise exception 'bad param to pgq trigger' using errcode = 'XX000';
        end if;
        return next;
    end loop;
end;
$$;

create or replace function pgq._trigger_event(
    i_kind text, i_argv text[], i_op text, i_when text, i_level text,
    i_relid oid, i_schema text, i_table text, i_old anyelement, i_new anyelement)
returns boolean
language plpgsql
as $$
declare
    _queue    text;
    _table    text := i_schema operator(pg_catalog.||) '.' operator(pg_catalog.||) i_table;
    _op       text := pg_catalog.left(i_op, 1);
    _trunc    boolean := i_op operator(pg_catalog.=) 'TRUNCATE';
    _skip     boolean := false;
    _backup   boolean := false;
    _deny     boolean := false;
    _ignore   text;
    _pkey     text;
    _pk_given boolean := false;
    _fields   text[] := array['ev_type', 'ev_data', 'ev_extra1', 'ev_extra2', 'ev_extra3', 'ev_extra4', 'when'];
    _exprs    text[] := array[null, null, null, null, null, null, null]::text[];
    _idx      integer[];
    _flags    boolean[];
    _eq       text;
    _a        record;
    -- columns, in order, without dropped ones
    _names    text[];
    _types    oid[];
    _exact    boolean[];        -- equal text means equal values
    _magic    boolean[];
    _is_pk    boolean[];
    _skipcol  boolean[];
    _n        integer;
    _vnew     text[];
    _vold     text[];
    _row      text[];           -- the row the data is made of
    _ev       text[] := array[null, null, null, null, null, null]::text[];  -- type, data, extra1..4
    _changed  boolean[];
    _i        integer;
    _k        integer;
    _sql      text;
    _buf      text;
    _sep      text;
    _ignored  integer := 0;
    _interesting boolean := true;
    _val      text;
    _typ      oid;
    _isnull   boolean;
begin
    -- Calling conventions first, as the C triggers check them.
    if _trunc then
        if i_level operator(pg_catalog.<>) 'STATEMENT' then
            raise exception 'pgq tRuncate trigger must be fired FOR EACH STATEMENT' using errcode = 'XX000';
        end if;
    elsif i_level operator(pg_catalog.<>) 'ROW' then
        raise exception 'pgq Ins/Upd/Del trigger must be fired FOR EACH ROW' using errcode = 'XX000';
    end if;
    if coalesce(pg_catalog.cardinality(i_argv), 0) operator(pg_catalog.<) 1 then
        raise exception 'pgq trigger must have destination queue as argument' using errcode = 'XX000';
    end if;
    _queue := i_argv[pg_catalog.array_lower(i_argv, 1)];

    for _a in select * from pgq._trigger_args(i_argv, _trunc) loop
        case _a.arg_name
        when 'skip' then _skip := true;
        when 'backup' then _backup := true;
        when 'deny' then _deny := true;
        when 'ignore' then _ignore := _a.arg_value;
        when 'pkey' then _pkey := _a.arg_value; _pk_given := true;
        else
            -- One expression per field, the first given (as the C code keeps it).
            _k := pg_catalog.array_position(_fields, _a.arg_name);
            if _exprs[_k] is null then
                _exprs[_k] := _a.arg_value;
            end if;
        end case;
    end loop;
    if _trunc then
        if _ignore is not null then
            raise exception 'Column ignore does not make sense for truncate trigger' using errcode = 'XX000';
        elsif _pk_given then
            raise exception 'Custom pkey_list does not make sense for truncate trigger' using errcode = 'XX000';
        elsif _backup then
            raise exception 'Backup does not make sense for truncate trigger' using errcode = 'XX000';
        end if;
    end if;

    -- The primary key's columns, in index order, unless pkey= says otherwise.
    if not _pk_given then
        select coalesce(pg_catalog.string_agg(k.attname::pg_catalog.text, ',' order by k.attnum), '') into _pkey
          from pg_catalog.pg_index i
          join pg_catalog.pg_attribute k on k.attrelid operator(pg_catalog.=) i.indexrelid
         where i.indrelid operator(pg_catalog.=) i_relid and i.indisprimary
           and k.attnum operator(pg_catalog.>) 0 and not k.attisdropped;
    end if;
    if _op in ('U', 'D') and _pkey operator(pg_catalog.=) '' then
        raise exception 'Update/Delete on table without pkey' using errcode = 'XX000';
    end if;
    if _skip and i_when operator(pg_catalog.=) 'AFTER' then
        raise exception 'SKIP does not work in AFTER trigger.' using errcode = 'XX000';
    end if;
    if _deny then
        raise exception 'Table ''%'' to queue ''%'': change not allowed (%)', _table, _queue, i_op using errcode = 'XX000';
    end if;

    _ev[3] := _table;
    if _trunc then
        _ev[1] := case i_kind when 'J' then pgq._json_type(i_op, i_relid, i_schema, i_table, null) else 'R' end;
        _ev[2] := case i_kind when 'J' then '{}' else '' end;
        perform pgq.insert_event(_queue, _ev[1], _ev[2], _ev[3], _ev[4], _ev[5], _ev[6]);
        return _skip;
    end if;

    select pg_catalog.array_agg(a.attname::pg_catalog.text order by a.attnum),
           pg_catalog.array_agg(a.atttypid order by a.attnum),
           pg_catalog.array_agg((a.atttypid in (16, 20, 21, 23, 26, 1082, 1114, 1184, 2950)
                                 or (a.atttypid in (25, 1043, 19)
                                     and coalesce((select c.collisdeterministic from pg_catalog.pg_collation c
                                                    where c.oid operator(pg_catalog.=) a.attcollation), true)))
                                order by a.attnum)
      into _names, _types, _exact
      from pg_catalog.pg_attribute a
     where a.attrelid operator(pg_catalog.=) i_relid and a.attnum operator(pg_catalog.>) 0 and not a.attisdropped;
    _n := coalesce(pg_catalog.cardinality(_names), 0);
    _magic := pg_catalog.array_fill(false, array[_n]);
    _is_pk := _magic;
    _skipcol := _magic;
    for _i in 1 .. _n loop
        _magic[_i] := pg_catalog.left(_names[_i], 8) operator(pg_catalog.=) '_pgq_ev_';
        _is_pk[_i] := not _magic[_i] and pgq._strlist_contains(_pkey, _names[_i]);
        _skipcol[_i] := _magic[_i] or (_ignore is not null and pgq._strlist_contains(_ignore, _names[_i]));
    end loop;
    if _op in ('I', 'U') then
        _vnew := pgq._row_texts(i_new);
    end if;
    if _op in ('U', 'D') then
        _vold := pgq._row_texts(i_old);
    end if;
    _row := case _op when 'D' then _vold else _vnew end;

    if _backup and _op operator(pg_catalog.=) 'U' then
        _ev[4] := case i_kind when 'J' then pgq._json_row(i_old, _names, _types, _vold, _skipcol)
                              else pgq._urlenc_row(_names, _vold, _skipcol) end;
    end if;

    -- Which columns an UPDATE changed: NULL against not NULL, else by the
    -- type's equality operator (or text, see pgq._eq_operator). logutriga
    -- and jsontriga look at key columns only, unless there are ignored
    -- columns; sqltriga at every column.
    if _op operator(pg_catalog.=) 'U' then
        _changed := pg_catalog.array_fill(false, array[_n]);
        _sql := '';
        _idx := '{}';
        for _i in 1 .. _n loop
            continue when i_kind operator(pg_catalog.<>) 'Q' and not _is_pk[_i] and _ignore is null;
            if _vold[_i] is null or _vnew[_i] is null then
                _changed[_i] := (_vold[_i] is null) operator(pg_catalog.<>) (_vnew[_i] is null);
                continue;
            end if;
            _eq := case when _exact[_i] then null else pgq._eq_operator(_types[_i]) end;
            if _eq is null then
                _changed[_i] := _vold[_i] operator(pg_catalog.<>) _vnew[_i];
            else
                _sql := _sql operator(pg_catalog.||) ', coalesce(' operator(pg_catalog.||)
                        pg_catalog.format(_eq, 'o.' operator(pg_catalog.||) pg_catalog.quote_ident(_names[_i]),
                                          'n.' operator(pg_catalog.||) pg_catalog.quote_ident(_names[_i]))
                        operator(pg_catalog.||) ', false)';
                _idx := _idx operator(pg_catalog.||) _i;
            end if;
        end loop;
        if _sql operator(pg_catalog.<>) '' then
            execute 'select array[' || pg_catalog.substr(_sql, 3) || '] from (select ($1).*) o, (select ($2).*) n'
               into _flags using i_old, i_new;
            for _k in 1 .. pg_catalog.cardinality(_idx) loop
                _changed[_idx[_k]] := not _flags[_k];
            end loop;
        end if;
    end if;

    -- logutriga, jsontriga: an UPDATE that changed only ignored columns is
    -- no event; one that changed a key column is an error (checked up to
    -- the first other changed column, in column order, as the C code does).
    if _op operator(pg_catalog.=) 'U' and i_kind operator(pg_catalog.<>) 'Q' then
        for _i in 1 .. _n loop
            continue when not _is_pk[_i] and _ignore is null;
            continue when not _changed[_i];
            if _is_pk[_i] then
                raise exception 'primary key update not allowed' using errcode = 'XX000';
            end if;
            if _skipcol[_i] then
                _ignored := _ignored operator(pg_catalog.+) 1;
                continue;
            end if;
            _ignored := 0;
            exit;
        end loop;
        _interesting := _ignored operator(pg_catalog.=) 0;
    end if;

    if i_kind operator(pg_catalog.=) 'L' then
        _ev[1] := _op operator(pg_catalog.||) ':' operator(pg_catalog.||) _pkey;
        if _interesting then
            _ev[2] := pgq._urlenc_row(_names, _row, _skipcol);
        end if;
    elsif i_kind operator(pg_catalog.=) 'J' then
        _ev[1] := pgq._json_type(i_op, i_relid, i_schema, i_table, case when _pk_given then _pkey end);
        if _interesting then
            _ev[2] := pgq._json_row(case _op when 'D' then i_old else i_new end, _names, _types, _row, _skipcol);
        end if;
    else
        _ev[1] := _op;
        _buf := '';
        _sep := '';
        if _op operator(pg_catalog.=) 'I' then
            for _i in 1 .. _n loop
                continue when _skipcol[_i];
                _buf := _buf operator(pg_catalog.||) _sep operator(pg_catalog.||) pg_catalog.quote_ident(_names[_i]);
                _sep := ',';
            end loop;
            _buf := '(' operator(pg_catalog.||) _buf operator(pg_catalog.||) ') values (';
            _sep := '';
            for _i in 1 .. _n loop
                continue when _skipcol[_i];
                _buf := _buf operator(pg_catalog.||) _sep operator(pg_catalog.||) coalesce(pg_catalog.quote_literal(_vnew[_i]), 'null');
                _sep := ',';
            end loop;
            _ev[2] := _buf operator(pg_catalog.||) ')';
        else
            if _op operator(pg_catalog.=) 'U' then
                for _i in 1 .. _n loop
                    continue when not _changed[_i];
                    if _is_pk[_i] then
                        raise exception 'primary key update not allowed' using errcode = 'XX000';
                    end if;
                    if _skipcol[_i] then
                        _ignored := _ignored operator(pg_catalog.+) 1;
                        continue;
                    end if;
                    _buf := _buf operator(pg_catalog.||) _sep operator(pg_catalog.||) pg_catalog.quote_ident(_names[_i])
                            operator(pg_catalog.||) '=' operator(pg_catalog.||) coalesce(pg_catalog.quote_literal(_vnew[_i]), 'NULL');
                    _sep := ',';
                end loop;
                if _buf operator(pg_catalog.=) '' then
                    if _ignored operator(pg_catalog.>) 0 then
                        _interesting := false;
                    else
                        -- Nothing changed: the first key column set to itself.
                        _i := pg_catalog.array_position(_is_pk, true);
                        if _i is null then
                            raise exception 'tbuf_encode_cstring: NULL' using errcode = 'XX000';
                        elsif _vold[_i] is null then
                            raise exception 'logtriga: Unexpected NULL key value' using errcode = 'XX000';
                        end if;
                        _buf := pg_catalog.quote_ident(_names[_i]) operator(pg_catalog.||) '='
                                operator(pg_catalog.||) pg_catalog.quote_literal(_vold[_i]);
                    end if;
                end if;
                _buf := _buf operator(pg_catalog.||) ' where ';
            end if;
            _sep := '';
            for _i in 1 .. _n loop
                continue when not _is_pk[_i];
                if _vold[_i] is null then
                    raise exception 'logtriga: Unexpected NULL key value' using errcode = 'XX000';
                end if;
                _buf := _buf operator(pg_catalog.||) _sep operator(pg_catalog.||) pg_catalog.quote_ident(_names[_i])
                        operator(pg_catalog.||) '=' operator(pg_catalog.||) pg_catalog.quote_literal(_vold[_i]);
                _sep := ' and ';
            end loop;
            _ev[2] := _buf;
        end if;
    end if;
    if not _interesting then
        return _skip;
    end if;

    -- Columns named for event fields, then the expressions.
    for _i in 1 .. _n loop
        continue when not _magic[_i];
        _k := pg_catalog.array_position(array['_pgq_ev_type', '_pgq_ev_data', '_pgq_ev_extra1', '_pgq_ev_extra2',
                                              '_pgq_ev_extra3', '_pgq_ev_extra4'], _names[_i]);
        if _k is null then
            raise exception 'Unknown magic column: %', _names[_i] using errcode = 'XX000';
        end if;
        _ev[_k] := case _op when 'U' then _vnew[_i] else _row[_i] end;
    end loop;
    for _k in 1 .. 7 loop
        continue when _exprs[_k] is null;
        execute 'select pg_catalog.pg_typeof(v)::pg_catalog.oid, v is null,'
                ' case when v is not null then pg_catalog.format(''%s'', v) end'
                ' from (select ' || _exprs[_k] || ' from (select ($1).*) _pgq_row) _pgq_expr (v)'
           into _typ, _isnull, _val
          using case _op when 'D' then i_old else i_new end;
        if _k operator(pg_catalog.=) 7 then
            if _typ operator(pg_catalog.<>) 16 then
                raise exception 'when= query result must be boolean, got=%', _typ using errcode = 'XX000';
            elsif _isnull then
                raise exception 'when= should not be NULL' using errcode = 'XX000';
            elsif _val operator(pg_catalog.=) 'f' then
                _interesting := false;
            end if;
        else
            _ev[_k] := _val;
        end if;
    end loop;

    if _interesting then
        perform pgq.insert_event(_queue, _ev[1], _ev[2], _ev[3], _ev[4], _ev[5], _ev[6]);
    end if;
    return _skip;
end;
$$;
