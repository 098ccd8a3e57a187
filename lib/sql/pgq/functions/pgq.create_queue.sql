-- Function: pgq.create_queue(1)
--
--      Creates a queue: its row, its event and tick sequences, its event
--      tables (a partition of pgq.event_template with queue_ntables
--      children that take turns receiving events; each child can also be
--      written directly, as pgq.current_event_table names it, with ev_id
--      drawn from the queue's sequence), their grants (pgq.grant_perms),
--      their storage settings (pgq.tune_storage), and a first tick so that
--      consumers can register at once.
-- Parameters:
--      i_queue_name    - name of the queue (any text but NULL, as in PgQ)
-- Returns:
--      1 if the queue was created, 0 if it already existed.
-- Tables directly manipulated:
--      insert - pgq.queue, pgq.tick
create or replace function pgq.create_queue(i_queue_name text)
returns integer
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _id     integer;
    _pfx    text;
    _seq    text;
    _n      integer;
begin
    if i_queue_name is null then
        raise exception 'Invalid NULL value';
    end if;
    -- Serialise creators of the same queue: the unique constraint alone
    -- would make the loser fail instead of returning 0.
    perform pg_advisory_xact_lock(hashtext('pgq.create_queue'), hashtext(i_queue_name));
    perform 1 from pgq.queue where queue_name = i_queue_name;
    if found then
        return 0;
    end if;

    _id := nextval('pgq.queue_queue_id_seq');
    _pfx := 'pgq.event_' || _id;
    _seq := _pfx || '_id_seq';
    insert into pgq.queue (queue_id, queue_name, queue_data_pfx, queue_event_seq, queue_tick_seq)
    values (_id, i_queue_name, _pfx, _seq, _pfx || '_tick_seq');

    execute format('create sequence %s', _pfx || '_tick_seq');
    execute format('create sequence %s', _seq);
    execute format('create table %s partition of pgq.event_template for values in (%s) partition by list (ev_tbl)', _pfx, _id);
    for _n in 0 .. (select queue_ntables - 1 from pgq.queue where queue_id = _id) loop
        execute format('create table %1$s_%2$s partition of %1$s for values in (%2$s)', _pfx, _n);
        execute format('alter table %1$s_%2$s alter column ev_queue set default %3$s,'
                       ' alter column ev_tbl set default %2$s,'
                       ' alter column ev_id set default pg_catalog.nextval(%4$L::pg_catalog.regclass)',
                       _pfx, _n, _id, _seq);
    end loop;

    perform pgq.grant_perms(i_queue_name);
    -- The first tick: a queue without ticks has no position to register at.
    perform pgq.ticker(i_queue_name);
    perform pgq.tune_storage(i_queue_name);
    return 1;
end;
$$;
