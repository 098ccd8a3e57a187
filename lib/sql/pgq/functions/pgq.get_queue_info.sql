-- Function: pgq.get_queue_info(0), pgq.get_queue_info(1)
--
--      Settings and state of every queue, or of one (no row for an unknown
--      queue), in name order.
-- Returns:
--      queue settings, plus ticker_lag (since the last tick), ev_per_sec
--      (over the last 20 ticks), ev_new (events since the last tick, by the
--      event sequence) and last_tick_id.
create or replace function pgq.get_queue_info(
    out queue_name text, out queue_ntables integer, out queue_cur_table integer,
    out queue_rotation_period interval, out queue_switch_time timestamp with time zone,
    out queue_external_ticker boolean, out queue_ticker_paused boolean,
    out queue_ticker_max_count integer, out queue_ticker_max_lag interval,
    out queue_ticker_idle_period interval, out ticker_lag interval,
    out ev_per_sec double precision, out ev_new bigint, out last_tick_id bigint)
returns setof record
language sql
as $$ select * from pgq.get_queue_info(null) $$;

create or replace function pgq.get_queue_info(
    i_queue_name text,
    out queue_name text, out queue_ntables integer, out queue_cur_table integer,
    out queue_rotation_period interval, out queue_switch_time timestamp with time zone,
    out queue_external_ticker boolean, out queue_ticker_paused boolean,
    out queue_ticker_max_count integer, out queue_ticker_max_lag interval,
    out queue_ticker_idle_period interval, out ticker_lag interval,
    out ev_per_sec double precision, out ev_new bigint, out last_tick_id bigint)
returns setof record
language sql
as $$
    select q.queue_name, q.queue_ntables, q.queue_cur_table, q.queue_rotation_period,
           q.queue_switch_time, q.queue_external_ticker, q.queue_ticker_paused,
           q.queue_ticker_max_count, q.queue_ticker_max_lag, q.queue_ticker_idle_period,
           current_timestamp - top.tick_time,
           case when old.tick_time < top.tick_time
                then (top.tick_event_seq - old.tick_event_seq)
                     / extract(epoch from top.tick_time - old.tick_time)::double precision
           end,
           pgq.seq_getval(q.queue_event_seq) - top.tick_event_seq,
           top.tick_id
      from pgq.queue q
      left join lateral (select t.tick_id, t.tick_time, t.tick_event_seq from pgq.tick t
                          where t.tick_queue = q.queue_id
                          order by t.tick_id desc limit 1) top on true
      left join lateral (select t.tick_time, t.tick_event_seq from pgq.tick t
                          where t.tick_queue = q.queue_id and t.tick_id >= top.tick_id - 20
                          order by t.tick_id limit 1) old on true
     where i_queue_name is null or q.queue_name = i_queue_name
     order by q.queue_name
$$;
