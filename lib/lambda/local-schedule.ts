import type pg from 'pg';
import { connect } from '../db/connect.ts';
import { localContext } from './runtime.ts';

/**
 * The ticker function run in this process the way AWS runs it: an
 * invocation when its schedule fires (EventBridge's rate(1 minute)), each
 * with the function's timeout, overlapping the one before as on AWS; and
 * an invocation when a capture wakes a ticker that went to sleep, which
 * on AWS the database makes with aws_lambda.invoke
 * (lambdiste.wake_ticker) and here comes as a notification on the queue's
 * 'wake' channel. For the local runtime (npm start, the benchmarks'
 * Lambda shape).
 */
export interface TickerSchedule {
  /** Ticker invocations so far, and how many were wakes. */
  invocations: number;
  wakes: number;
  /** Ends the schedule and the runs in flight (at their next round). */
  stop(): Promise<void>;
}

export async function startTickerSchedule(opts: {
  /** The roots' databases and queues, listened to for wakes. */
  roots: { url: string; queue: string }[];
  periodMs?: number;
  timeoutMs?: number;
  onError?: (err: Error) => void;
}): Promise<TickerSchedule> {
  const { handler } = await import('../../functions/ticker.ts');
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const schedule: TickerSchedule = { invocations: 0, wakes: 0, stop };
  const invoke = (source: string) => {
    if (stopping.signal.aborted) return;
    schedule.invocations++;
    const run = (async () => {
      const r = (await handler({ source }, localContext('ticker', opts.timeoutMs ?? 65_000, stopping.signal) as never)) as { ok: boolean; error?: string };
      if (!r.ok) opts.onError?.(new Error(r.error ?? 'ticker failed'));
    })().catch((err: Error) => opts.onError?.(err)).finally(() => inFlight.delete(run));
    inFlight.add(run);
  };
  const listeners: pg.Client[] = [];
  for (const root of opts.roots) {
    const db = await connect(root.url);
    const { rows } = await db.query(`select lambdiste.queue_channel($1, 'wake') as c`, [root.queue]);
    db.on('notification', () => {
      schedule.wakes++;
      invoke('lambdiste.wake');
    });
    await db.query(`listen "${rows[0].c}"`);
    listeners.push(db);
  }
  const timer = setInterval(() => invoke('lambdiste.schedule'), opts.periodMs ?? 60_000);
  invoke('lambdiste.schedule');

  async function stop(): Promise<void> {
    clearInterval(timer);
    stopping.abort();
    await Promise.all(listeners.map((db) => db.end().catch(() => undefined)));
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }
  return schedule;
}
