-- Function: pgq.get_queue_info(0), pgq.get_queue_info(1)
--
--      Settings and state of every queue, or of one.
-- Returns:
--      queue settings, plus ticker_lag (since the last tick), ev_per_sec
--      (over the recent ticks), ev_new (events since the last tick) and
--      last_tick_id.
create or replace function pgq.get_queue_info(
    out queue_name text, out queue_ntables integer, out queue_cur_table integer,
    out queue_rotation_period interval, out queue_switch_time timestamptz,
    out queue_external_ticker boolean, out queue_ticker_paused boolean,
    out queue_ticker_max_count integer, out queue_ticker_max_lag interval,
    out queue_ticker_idle_period interval, out ticker_lag interval,
    out ev_per_sec double precision, out ev_new bigint, out last_tick_id bigint)
returns setof record
language sql stable
as $$
    select q.queue_name, q.queue_ntables, q.queue_cur_table, q.queue_rotation_period,
           q.queue_switch_time, q.queue_external_ticker, q.queue_ticker_paused,
           q.queue_ticker_max_count, q.queue_ticker_max_lag, q.queue_ticker_idle_period,
           now() - last.tick_time,
           case when last.tick_time > old.tick_time
                then (last.tick_event_seq - old.tick_event_seq)
                     / extract(epoch from last.tick_time - old.tick_time)::double precision
           end,
           coalesce(pg_sequence_last_value(q.queue_event_seq::regclass), 0) - last.tick_event_seq,
           last.tick_id
      from pgq.queue q
      left join lateral (select * from pgq.tick t where t.tick_queue = q.queue_id
                          order by t.tick_id desc limit 1) last on true
      left join lateral (select * from (select * from pgq.tick t where t.tick_queue = q.queue_id
                                         order by t.tick_id desc limit 20) r
                          order by r.tick_id limit 1) old on true
     order by q.queue_name
$$;

create or replace function pgq.get_queue_info(
    i_queue_name text,
    out queue_name text, out queue_ntables integer, out queue_cur_table integer,
    out queue_rotation_period interval, out queue_switch_time timestamptz,
    out queue_external_ticker boolean, out queue_ticker_paused boolean,
    out queue_ticker_max_count integer, out queue_ticker_max_lag interval,
    out queue_ticker_idle_period interval, out ticker_lag interval,
    out ev_per_sec double precision, out ev_new bigint, out last_tick_id bigint)
returns setof record
language plpgsql stable
as $$
begin
    perform pgq.find_queue(i_queue_name);
    return query select * from pgq.get_queue_info() i where i.queue_name = i_queue_name;
end;
$$;
