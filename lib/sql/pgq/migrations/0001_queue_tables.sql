-- Migration 0001: the queue's tables.
--
-- Tables are private: everything outside this schema goes through the
-- functions in ../functions. Column prefixes name the table a column
-- belongs to (queue_, tick_, co_, sub_, ev_), as in PgQ.

create table pgq.queue (
    queue_id                 serial primary key,
    queue_name               text not null unique,
    -- Event tables per queue and the one receiving inserts now.
    queue_ntables            integer not null default 3 check (queue_ntables >= 2),
    queue_cur_table          integer not null default 0,
    queue_rotation_period    interval not null default '2 hours',
    -- Transaction ids around the last rotation (see maint_rotate_tables_step1/2).
    queue_switch_step1       xid8 not null default pg_current_xact_id(),
    queue_switch_step2       xid8 default pg_current_xact_id(),
    queue_switch_time        timestamptz not null default now(),
    queue_external_ticker    boolean not null default false,
    queue_disable_insert     boolean not null default false,
    queue_ticker_paused      boolean not null default false,
    queue_ticker_max_count   integer not null default 500,
    -- PgQ's default is 3 s; Lambdiste ticks every 250 ms so that replication
    -- lag stays well under a second (see BENCHMARKS.md).
    queue_ticker_max_lag     interval not null default '250 milliseconds',
    queue_ticker_idle_period interval not null default '1 minute',
    queue_per_tx_limit       integer,
    -- pgq.event_<id>; its children are <pfx>_0 .. <pfx>_<ntables-1>.
    queue_data_pfx           text not null,
    queue_event_seq          text not null,
    queue_tick_seq           text not null,
    queue_extra_maint        text[]
);

-- A tick is the snapshot of the queue's database at one moment. A batch is
-- the events committed between two ticks.
create table pgq.tick (
    tick_queue      integer not null references pgq.queue on delete cascade,
    tick_id         bigint not null,
    tick_time       timestamptz not null default now(),
    tick_snapshot   pg_snapshot not null default pg_current_snapshot(),
    -- Value of the event id sequence at tick time: a size hint only.
    tick_event_seq  bigint not null,
    primary key (tick_queue, tick_id)
);

create table pgq.consumer (
    co_id    serial primary key,
    co_name  text not null unique
);

create table pgq.subscription (
    sub_id        serial not null,
    sub_queue     integer not null references pgq.queue on delete cascade,
    sub_consumer  integer not null references pgq.consumer,
    -- End tick of the last finished batch, i.e. where the next batch starts.
    sub_last_tick bigint,
    sub_active    timestamptz not null default now(),
    -- Open batch, if any, and the tick it ends at.
    sub_batch     bigint,
    sub_next_tick bigint,
    primary key (sub_queue, sub_consumer),
    unique (sub_id)
);

create sequence pgq.batch_id_seq;

-- Every queue's events, partitioned by queue and then by event table
-- (pgq.event_<queue> and its children pgq.event_<queue>_<n>, made by
-- create_queue). Inserts go to this root with static SQL, so producing an
-- event needs no dynamic statement; rotation truncates one child.
create table pgq.event_template (
    ev_queue    integer not null,
    -- Which of the queue's tables (queue_cur_table at insert time).
    ev_tbl      integer not null,
    ev_id       bigint not null,
    ev_time     timestamptz not null,
    ev_txid     xid8 not null default pg_current_xact_id(),
    -- Set only for retried events: the subscription that asked for the retry.
    ev_owner    integer,
    ev_retry    integer,
    ev_type     text,
    ev_data     text,
    ev_extra1   text,
    ev_extra2   text,
    ev_extra3   text,
    ev_extra4   text
) partition by list (ev_queue);
create index event_template_txid_idx on pgq.event_template (ev_txid);

create table pgq.retry_queue (
    ev_retry_after timestamptz not null,
    ev_queue       integer not null references pgq.queue on delete cascade,
    ev_id          bigint not null,
    ev_time        timestamptz not null,
    ev_txid        xid8,
    ev_owner       integer not null,
    ev_retry       integer,
    ev_type        text,
    ev_data        text,
    ev_extra1      text,
    ev_extra2      text,
    ev_extra3      text,
    ev_extra4      text,
    primary key (ev_owner, ev_id)
);
create index retry_queue_retry_after_idx on pgq.retry_queue (ev_retry_after);
