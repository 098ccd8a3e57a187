-- Function: pgq.version(0)
--
--      Version of the queue code. The PgQ API level comes first, then the
--      Lambdiste release that installed it.
create or replace function pgq.version()
returns text
language sql immutable
as $$ select '3.5.0+lambdiste.0.1.0'::text $$;
