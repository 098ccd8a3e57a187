-- Function: lambdiste.queue_channel(2)
--
--      The LISTEN/NOTIFY channel on which a queue tells its ticker that
--      events arrived (i_what 'events': the capture triggers notify it),
--      its consumers that a batch was closed ('tick': the ticker notifies
--      it), or a leaf's worker that its tables changed ('work': the admin
--      commands notify it), so that none of them has to poll. Channel names are identifiers of
--      at most 63 bytes; a queue name may be longer: a digest of it is used.
create or replace function lambdiste.queue_channel(i_queue text, i_what text)
returns text
language sql immutable
as $$
    select 'lambdiste_' || pg_catalog.left(pg_catalog.md5(i_queue), 16) || '_' || i_what
$$;
