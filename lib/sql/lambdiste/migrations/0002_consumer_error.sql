-- Migration 0002: why a consumer is failing, for `status`.
--
-- On a subscriber, a row per consumer whose rounds fail: the last error
-- (for an event the subscriber cannot apply, its table and event id too),
-- since when the rounds have been failing and how many have. The consumer
-- writes it after a failed round (outside the round's rolled-back
-- transaction) and deletes it after a round that succeeds.
create table lambdiste.consumer_error (
    err_queue       text not null,
    err_consumer    text not null,
    err_message     text not null,
    err_table       text,
    err_event       bigint,
    err_since       timestamptz not null default now(),
    err_last        timestamptz not null default now(),
    err_attempts    integer not null default 1,
    primary key (err_queue, err_consumer)
);
