-- Migration 0004: waking a scheduled ticker that went to sleep.
--
-- On a root, per queue: whether its ticker function is asleep (it returned
-- once the queue had been idle, and is next run by its schedule, up to a
-- minute later), and the function to invoke to wake it at once. The ticker
-- function records itself here when it starts and marks itself asleep when
-- it returns idle; the first capture after that wakes it
-- (lambdiste.wake_ticker).
create table lambdiste.ticker_wake (
    wake_queue      text primary key,
    wake_asleep     boolean not null default false,
    -- The ticker function's ARN and region, as it gave them.
    wake_function   text,
    wake_region     text,
    wake_updated    timestamptz not null default now()
);
