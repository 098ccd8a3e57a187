-- Migration 0003: event data without pglz.
--
-- A multi-row statement's capture writes tens of kB of events, and pglz
-- compressing them costs a quarter of the statement's time. lz4
-- (PostgreSQL 14 and later, where the server is built with it, as on the
-- managed services) compresses about ten times faster; without it event
-- data is stored as it is (events are short-lived: event tables rotate).
-- Partitions made later take the setting of pgq.event_template.
do $$
begin
    begin
        execute 'alter table pgq.event_template alter column ev_data set compression lz4';
        execute 'alter table pgq.retry_queue alter column ev_data set compression lz4';
    exception when others then
        execute 'alter table pgq.event_template alter column ev_data set storage external';
        execute 'alter table pgq.retry_queue alter column ev_data set storage external';
    end;
end
$$;
