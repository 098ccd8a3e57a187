-- Function: lambdiste.wake_ticker(1), lambdiste.ticker_awake(4), lambdiste.ticker_asleep(2), lambdiste.request_tick(1)
--
--      wake_ticker is called by the capture triggers; when the queue's
--      ticker function is asleep (lambdiste.ticker_wake: no run awake), the
--      first writer
--      to call it marks the ticker awake and wakes it, by invoking the
--      function (aws_lambda.invoke, where the aws_lambda extension is
--      installed: RDS and Aurora), and by a notification on the queue's
--      'wake' channel (lambdiste.queue_channel) for whoever runs the
--      ticker otherwise (a local runtime). Whatever fails here is only
--      noted: a writer's transaction never fails for it; the ticker's
--      schedule runs it within a minute anyway.
--
--      ticker_asleep records the ticker function (i_function: its ARN;
--      i_region) as asleep (true) or awake.
create or replace function lambdiste.wake_ticker(i_queue text)
returns void
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    _fn     text;
    _region text;
begin
    if not exists (select from lambdiste.ticker_wake where wake_queue = i_queue and wake_awake_until < statement_timestamp()) then
        return;
    end if;
    -- Another writer waking it holds the row until it commits: skip it
    -- rather than wait for a transaction that may be long. The woken run
    -- has a few seconds to say it is awake.
    update lambdiste.ticker_wake set wake_awake_until = statement_timestamp() + interval '10 seconds'
     where wake_queue = (select wake_queue from lambdiste.ticker_wake
                          where wake_queue = i_queue and wake_awake_until < statement_timestamp()
                            for update skip locked)
    returning wake_function, wake_region into _fn, _region;
    if not found then
        return;
    end if;
    perform pg_notify(lambdiste.queue_channel(i_queue, 'wake'), '');
    if _fn is not null and to_regprocedure('aws_lambda.invoke(aws_commons._lambda_function_arn_1, json, text, text, text)') is not null then
        begin
            execute 'select aws_lambda.invoke(aws_commons.create_lambda_function_arn($1, $2), $3::json, ''Event'')'
              using _fn, _region, '{"source": "lambdiste.wake"}';
        exception when others then
            raise warning 'lambdiste: could not wake the ticker of queue %: %', i_queue, sqlerrm;
        end;
    end if;
end;
$$;

drop function if exists lambdiste.ticker_asleep(text, boolean, text, text);

-- A run of the ticker function starts (i_until: its deadline; i_function,
-- i_region: where to invoke it).
create or replace function lambdiste.ticker_awake(i_queue text, i_until timestamptz, i_function text, i_region text)
returns void
language sql
as $$
    insert into lambdiste.ticker_wake as w (wake_queue, wake_awake_until, wake_function, wake_region)
    values (i_queue, i_until, i_function, i_region)
    on conflict (wake_queue) do update
       set wake_awake_until = greatest(w.wake_awake_until, excluded.wake_awake_until),
           wake_function = coalesce(excluded.wake_function, w.wake_function),
           wake_region = coalesce(excluded.wake_region, w.wake_region)
$$;

-- A run (deadline i_until) returns idle: the ticker is asleep unless a run
-- with a later deadline is going. False when a writer is waking it right
-- now: the run then goes on.
create or replace function lambdiste.ticker_asleep(i_queue text, i_until timestamptz)
returns boolean
language plpgsql
as $$
begin
    perform from lambdiste.ticker_wake where wake_queue = i_queue for update skip locked;
    if not found then
        return false;
    end if;
    update lambdiste.ticker_wake set wake_awake_until = statement_timestamp()
     where wake_queue = i_queue and wake_awake_until <= i_until;
    return true;
end;
$$;

-- Function: lambdiste.request_tick(1)
--
--      A tick as soon as possible, events or not (pgq.force_tick), with the
--      queue's ticker told at once: woken from its sleep, or from a
--      scheduled function's (wake_ticker). For whoever needs the stream to
--      move on: a copy handing a table over, a test, an operator.
create or replace function lambdiste.request_tick(i_queue text)
returns void
language plpgsql
as $$
begin
    perform pgq.force_tick(i_queue);
    perform pg_notify(lambdiste.queue_channel(i_queue, 'events'), '');
    perform lambdiste.wake_ticker(i_queue);
end;
$$;
