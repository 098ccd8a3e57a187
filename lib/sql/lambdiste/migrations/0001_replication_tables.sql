-- Migration 0001: replication state.
--
-- Table names are stored in one canonical form, quote_ident(schema) || '.' ||
-- quote_ident(name) (see lambdiste.canonical_name), the same text the
-- capture trigger writes into ev_extra1, so a name compares equal whatever
-- way a user spelled it.

-- The node this database plays for a queue (one row per queue).
create table lambdiste.node (
    node_queue      text primary key,
    node_name       text not null,
    node_type       text not null check (node_type in ('root', 'leaf')),
    -- Public connect string given at create-root/create-leaf (may be NULL).
    node_location   text,
    -- Leaf: connect string of its provider, and its consumer name there.
    node_provider   text,
    node_consumer   text,
    node_created    timestamptz not null default now(),
    check (node_type = 'root' or (node_provider is not null and node_consumer is not null))
);

-- On the root: every node of the queue, for status and member listings.
create table lambdiste.member (
    member_queue    text not null,
    member_name     text not null,
    member_type     text not null check (member_type in ('root', 'leaf')),
    member_location text,
    member_consumer text,
    primary key (member_queue, member_name)
);

-- Tables of the queue's set on this node. On the root every row is local
-- (captured); on a leaf a row means "replicated here".
--
-- merge_state (leaf), owned by the consumer:
--   NULL          waiting for its initial copy
--   'in-copy'     rows are being copied, chunk by chunk (copy_key = last key done)
--   'catching-up' copied; a per-table consumer replays changes made since
--                 the copy started, until it reaches the main consumer
--   'ok'          the main consumer applies its changes
create table lambdiste.table_info (
    tbl_queue       text not null,
    tbl_name        text not null,
    tbl_merge_state text check (tbl_merge_state in ('in-copy', 'catching-up', 'ok')),
    -- Options from add-table, shown by `tables`: max_parallel_copy,
    -- skip_truncate, copy_condition.
    tbl_attrs       jsonb not null default '{}',
    tbl_copy_key    text[],
    tbl_copy_rows   bigint not null default 0,
    tbl_added       timestamptz not null default now(),
    primary key (tbl_queue, tbl_name)
);

create table lambdiste.seq_info (
    seq_queue       text not null,
    seq_name        text not null,
    -- Leaf: the value last set from the provider.
    seq_last_value  bigint,
    primary key (seq_queue, seq_name)
);

-- Exactly-once positions on a subscriber, written in the same transaction
-- as the data they describe: the end tick of the last applied batch and,
-- while a very large batch is applied in pieces, how far into it.
create table lambdiste.applied (
    app_queue       text not null,
    app_consumer    text not null,
    app_tick        bigint not null,
    app_partial_tick  bigint,
    app_partial_event bigint,
    app_updated     timestamptz not null default now(),
    primary key (app_queue, app_consumer)
);
