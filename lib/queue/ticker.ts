import type { Db } from '../db/connect.ts';
import { runMaintenance, tickAll } from './api.ts';

export interface TickerOptions {
  /** Epoch ms by which the routine must have returned. */
  deadline: number;
  /** Time between ticker rounds (default 1000 ms). */
  tickPeriodMs?: number;
  /** Time between maintenance runs (default 30 s); maintenance also runs at start. */
  maintPeriodMs?: number;
  /** No round is started with less than this left before the deadline (default 1000 ms). */
  safetyMs?: number;
  signal?: AbortSignal;
  /**
   * Stop early once no tick has been needed for this long (the queue is
   * idle): a scheduled ticker then costs almost nothing while nothing
   * happens, at the price of up to one schedule period of lag for the
   * first change after a quiet spell. Default: never.
   */
  idleExitMs?: number;
  /** Called after every round with the number of ticks it wrote (the Lambda wakes consumers here). */
  afterTick?: (ticks: number) => Promise<void>;
}

export interface TickerRun {
  rounds: number;
  ticks: number;
  maintenance: number;
  /** Stopped early because the queue was idle. */
  idle: boolean;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * What pgqd does, bounded in time: every tickPeriodMs, pgq.ticker() for
 * all queues (it decides whether a tick is due); every maintPeriodMs, the
 * maintenance pgq.maint_operations() lists. Rounds keep their cadence
 * (the next one starts one period after the previous started).
 */
export async function runTicker(db: Db, opts: TickerOptions): Promise<TickerRun> {
  const tickPeriod = opts.tickPeriodMs ?? 1000;
  const maintPeriod = opts.maintPeriodMs ?? 30_000;
  const safety = opts.safetyMs ?? 1000;
  const run: TickerRun = { rounds: 0, ticks: 0, maintenance: 0, idle: false };
  let nextMaint = Date.now();
  let nextRound = Date.now();
  let lastTick = Date.now();
  while (!opts.signal?.aborted && Date.now() + safety < opts.deadline) {
    const ticks = await tickAll(db);
    run.rounds++;
    run.ticks += ticks;
    if (ticks > 0) lastTick = Date.now();
    if (Date.now() >= nextMaint) {
      run.maintenance += (await runMaintenance(db)).length;
      nextMaint = Date.now() + maintPeriod;
    }
    if (opts.afterTick) await opts.afterTick(ticks);
    if (opts.idleExitMs !== undefined && Date.now() - lastTick >= opts.idleExitMs) {
      run.idle = true;
      break;
    }
    nextRound += tickPeriod;
    const wait = Math.min(nextRound - Date.now(), opts.deadline - safety - Date.now());
    if (wait > 0) await sleep(wait, opts.signal);
    else nextRound = Date.now();
  }
  return run;
}
