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
  /** Called when idle for idleExitMs: false keeps the ticker going (default: stop). */
  beforeIdleExit?: () => Promise<boolean>;
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
  /** The queue's event sequence when last read, and since when it has not moved. */
  private lastSeq: string | null = null;
  private quietSince = Date.now();

  constructor(private readonly tickPeriodMs = 1000, private readonly maintPeriodMs = 30_000, private readonly queue?: string) {}

  /**
   * `notified`: the round was woken by a capture's commit. If no tick came
   * of it although that commit's events are past the last tick (they drew
   * their ids before it: lambdiste.events_after_tick), a tick is forced, to
   * be written as soon as ticker_max_lag allows.
   */
  async round(db: Db, notified = false): Promise<{ ticks: number; maintenance: number }> {
    const ticks = await tickAll(db);
    if (ticks === 0 && notified && this.queue !== undefined) {
      await db.query('select pgq.force_tick($1) from (select lambdiste.events_after_tick($1) as yes) e where e.yes', [this.queue]);
    }
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
      `select i.ev_new, greatest(0, extract(epoch from i.queue_ticker_max_lag - i.ticker_lag) * 1000)::int as due,
              pgq.seq_getval(q.queue_event_seq)::text as seq
         from pgq.get_queue_info($1) i join pgq.queue q on q.queue_name = i.queue_name`, [this.queue]);
    const r = rows[0];
    if (!r) return wait;
    if (r.seq !== this.lastSeq) {
      this.lastSeq = r.seq;
      this.quietSince = Date.now();
    }
    return Number(r.ev_new) > 0 ? Math.min(wait, r.due + 1) : wait;
  }

  /**
   * Milliseconds since the queue last got events (by its event sequence):
   * idle ticks, which PgQ writes with growing gaps, do not count.
   */
  quietMs(): number {
    return Date.now() - this.quietSince;
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
  let notified = false;
  const sleep = async (ms: number, signal?: AbortSignal) => {
    if (opts.wakeup) notified = await opts.wakeup.wait(ms, signal);
    else await pause(ms, signal);
  };
  let lastTick = Date.now();
  let startedAt = Date.now();
  if (opts.wakeup && opts.queue !== undefined) await opts.wakeup.listen(db as pg.Client, opts.queue, 'events');
  try {
    while (!opts.signal?.aborted && Date.now() + safety < opts.deadline) {
      const r = await schedule.round(db, notified);
      run.rounds++;
      run.ticks += r.ticks;
      run.maintenance += r.maintenance;
      if (r.ticks > 0) lastTick = Date.now();
      if (opts.afterTick) await opts.afterTick(r.ticks);
      const wait = await schedule.wait(db);
      // Idle: no events for the period (with a queue named), else no ticks.
      const idleMs = opts.queue !== undefined ? Math.min(schedule.quietMs(), Date.now() - startedAt) : Date.now() - lastTick;
      if (opts.idleExitMs !== undefined && idleMs >= opts.idleExitMs) {
        if (!opts.beforeIdleExit || (await opts.beforeIdleExit())) {
          run.idle = true;
          break;
        }
        lastTick = Date.now();
        startedAt = Date.now();
      }
      await sleep(Math.min(wait, opts.deadline - safety - Date.now()), opts.signal);
    }
  } finally {
    await opts.wakeup?.close();
  }
  return run;
}
