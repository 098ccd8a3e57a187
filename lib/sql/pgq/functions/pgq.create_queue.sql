-- Function: pgq.create_queue(1)
--
--      Creates a queue: its row, its event and tick sequences, its event
--      tables (a partition of pgq.event_template with ntables children that
--      take turns receiving events), and a first tick so consumers can
--      register at once.
-- Returns:
--      1 if the queue was created, 0 if it already existed.
-- Tables directly manipulated:
--      insert - pgq.queue, pgq.tick
create or replace function pgq.create_queue(i_queue_name text)
returns integer
language plpgsql
as $$
declare
    _id     integer;
    _pfx    text;
    _tbl    text;
    _seq    text;
    _n      integer;
begin
    if i_queue_name is null or length(i_queue_name) = 0 then
        raise exception 'Queue name must not be empty' using errcode = '22023';
    end if;
    -- Serialise creators of the same queue; the unique constraint alone
    -- would make the loser fail instead of returning 0.
    perform pg_advisory_xact_lock(hashtext('pgq.create_queue'), hashtext(i_queue_name));
    perform 1 from pgq.queue where queue_name = i_queue_name;
    if found then
        return 0;
    end if;

    _id := nextval(pg_get_serial_sequence('pgq.queue', 'queue_id'));
    _pfx := 'pgq.event_' || _id;
    _seq := _pfx || '_id_seq';

    execute format('create sequence %s', _seq);
    execute format('create sequence %s', _pfx || '_tick_seq');
    execute format('create table %s partition of pgq.event_template for values in (%s) partition by list (ev_tbl)', _pfx, _id);

    insert into pgq.queue (queue_id, queue_name, queue_data_pfx, queue_event_seq, queue_tick_seq)
    values (_id, i_queue_name, _pfx, _seq, _pfx || '_tick_seq');

    for _n in 0 .. (select queue_ntables - 1 from pgq.queue where queue_id = _id) loop
        _tbl := _pfx || '_' || _n;
        -- Insert-only and emptied by TRUNCATE: no free space to keep, nothing
        -- for autovacuum to clean.
        execute format('create table %s partition of %s for values in (%s)'
                       ' with (fillfactor = 100, autovacuum_enabled = off, toast.autovacuum_enabled = off)',
                       _tbl, _pfx, _n);
    end loop;

    -- The first tick: a queue without ticks has no position to register at.
    perform pgq.ticker(i_queue_name);
    return 1;
end;
$$;
