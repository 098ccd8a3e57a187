import type pg from 'pg';
import type { Db } from '../db/connect.ts';
import { pause } from '../daemon.ts';
import { runMaintenance, tickAll } from './api.ts';
import type { Wakeup } from './wakeup.ts';

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
  /** The queue whose ticker this is: it is told when events arrive, and tells its consumers of ticks. */
  queue?: string;
  /** Sleeps between rounds until the queue's events arrive (listening on `db`). */
  wakeup?: Wakeup;
}

export interface TickerRun {
  rounds: number;
  ticks: number;
  maintenance: number;
  /** Stopped early because the queue was idle. */
  idle: boolean;
}

/**
 * When the ticker's rounds and maintenance are due. A round ticks every
 * queue that is due (pgq.ticker() decides), then runs maintenance if due
 * (at the first round, then every maintPeriodMs). With a queue named, the
 * ticker is told when events arrive (Wakeup on its 'events' channel); it
 * then tells the queue's consumers when it closed a batch ('tick'
 * channel), and while events wait it comes back as soon as the queue's
 * ticker_max_lag allows a tick. Otherwise rounds keep their cadence (the
 * next one starts tickPeriodMs after the previous started). Kept across
 * rounds, and across the reconnects of a daemon.
 */
export class TickerSchedule {
  private nextRound = Date.now();
  private nextMaint = Date.now();

  constructor(private readonly tickPeriodMs = 1000, private readonly maintPeriodMs = 30_000, private readonly queue?: string) {}

  async round(db: Db): Promise<{ ticks: number; maintenance: number }> {
    const ticks = await tickAll(db);
    if (ticks > 0 && this.queue !== undefined) {
      await db.query(`select pg_notify(lambdiste.queue_channel($1, 'tick'), '')`, [this.queue]);
    }
    let maintenance = 0;
    if (Date.now() >= this.nextMaint) {
      maintenance = (await runMaintenance(db)).length;
      this.nextMaint = Date.now() + this.maintPeriodMs;
    }
    return { ticks, maintenance };
  }

  /** After a round: milliseconds until the next one is due (0 when late). */
  async wait(db: Db): Promise<number> {
    this.nextRound += this.tickPeriodMs;
    let wait = this.nextRound - Date.now();
    if (wait <= 0) {
      this.nextRound = Date.now();
      wait = 0;
    }
    if (this.queue === undefined) return wait;
    const { rows } = await db.query(
      `select ev_new, greatest(0, extract(epoch from queue_ticker_max_lag - ticker_lag) * 1000)::int as due
         from pgq.get_queue_info($1)`, [this.queue]);
    return rows[0] && Number(rows[0].ev_new) > 0 ? Math.min(wait, rows[0].due + 1) : wait;
  }
}

/**
 * What pgqd does, bounded in time: rounds of pgq.ticker() and maintenance
 * (see TickerSchedule), until the deadline, the signal, or the queue has
 * been idle for idleExitMs. With `wakeup` (listening on the queue's
 * events channel) it sleeps between rounds until events arrive.
 */
export async function runTicker(db: Db, opts: TickerOptions): Promise<TickerRun> {
  const schedule = new TickerSchedule(opts.tickPeriodMs, opts.maintPeriodMs, opts.queue);
  const safety = opts.safetyMs ?? 1000;
  const run: TickerRun = { rounds: 0, ticks: 0, maintenance: 0, idle: false };
  const sleep = opts.wakeup ? opts.wakeup.wait.bind(opts.wakeup) : pause;
  let lastTick = Date.now();
  if (opts.wakeup && opts.queue !== undefined) await opts.wakeup.listen(db as pg.Client, opts.queue, 'events');
  try {
    while (!opts.signal?.aborted && Date.now() + safety < opts.deadline) {
      const r = await schedule.round(db);
      run.rounds++;
      run.ticks += r.ticks;
      run.maintenance += r.maintenance;
      if (r.ticks > 0) lastTick = Date.now();
      if (opts.afterTick) await opts.afterTick(r.ticks);
      if (opts.idleExitMs !== undefined && Date.now() - lastTick >= opts.idleExitMs) {
        run.idle = true;
        break;
      }
      await sleep(Math.min(await schedule.wait(db), opts.deadline - safety - Date.now()), opts.signal);
    }
  } finally {
    await opts.wakeup?.close();
  }
  return run;
}
