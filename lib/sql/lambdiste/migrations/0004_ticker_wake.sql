-- Migration 0004: waking a scheduled ticker that went to sleep.
--
-- On a root, per queue: until when some run of its ticker function is
-- awake (the latest deadline of the runs that started; a run that returns
-- idle ends it, unless a later run is still going), and the function to
-- invoke to wake it at once. Once that time has passed, the ticker is
-- asleep: its schedule runs it next, up to a minute later, unless the
-- first capture wakes it (lambdiste.wake_ticker). Several runs may be
-- going at once (the schedule starts one while another ends, as on AWS).
create table lambdiste.ticker_wake (
    wake_queue      text primary key,
    wake_awake_until timestamptz not null default '-infinity',
    -- The ticker function's ARN and region, as it gave them.
    wake_function   text,
    wake_region     text
);
