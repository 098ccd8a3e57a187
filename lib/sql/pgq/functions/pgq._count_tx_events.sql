-- Function: pgq._count_tx_events(4)
--
--      Internal: queue_per_tx_limit. Counts i_events more events of a queue
--      in the current transaction and refuses them, with PgQ's message,
--      once the transaction has more than i_limit. The count is a
--      transaction-local setting (pgq.tx_events_<queue id>): it ends with
--      the transaction, and a subtransaction rolled back takes its part of
--      the count with it. Every name is schema-qualified: it runs within
--      pgq.insert_event, as the queue's owner, with the caller's
--      search_path.
create or replace function pgq._count_tx_events(i_queue_id integer, i_queue_name text, i_limit integer, i_events integer)
returns void
language plpgsql
as $$
declare
    _key pg_catalog.text := 'pgq.tx_events_' operator(pg_catalog.||) i_queue_id;
    _was pg_catalog.text := pg_catalog.current_setting(_key, true);
    _n   integer := i_events;
begin
    if _was is not null and _was operator(pg_catalog.<>) '' then
        _n := _was::integer operator(pg_catalog.+) i_events;
    end if;
    perform pg_catalog.set_config(_key, _n::pg_catalog.text, true);
    if _n operator(pg_catalog.>) i_limit then
        raise exception 'Queue ''%'' allows max % events from one TX', i_queue_name, i_limit using errcode = 'XX000';
    end if;
end;
$$;
