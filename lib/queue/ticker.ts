import type { Db } from '../db/connect.ts';
import { pause } from '../daemon.ts';
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

/**
 * When the ticker's rounds and maintenance are due. Rounds keep their
 * cadence (the next one starts one period after the previous started);
 * maintenance runs at the first round, then every maintPeriodMs. Kept
 * across rounds, and across the reconnects of a daemon.
 */
export class TickerSchedule {
  private nextRound = Date.now();
  private nextMaint = Date.now();

  constructor(private readonly tickPeriodMs = 1000, private readonly maintPeriodMs = 30_000) {}

  /** One round: pgq.ticker() for all queues (it decides whether a tick is due), then maintenance if due. */
  async round(db: Db): Promise<{ ticks: number; maintenance: number }> {
    const ticks = await tickAll(db);
    let maintenance = 0;
    if (Date.now() >= this.nextMaint) {
      maintenance = (await runMaintenance(db)).length;
      this.nextMaint = Date.now() + this.maintPeriodMs;
    }
    return { ticks, maintenance };
  }

  /** After a round: milliseconds until the next one is due (0 when late). */
  wait(): number {
    this.nextRound += this.tickPeriodMs;
    const wait = this.nextRound - Date.now();
    if (wait > 0) return wait;
    this.nextRound = Date.now();
    return 0;
  }
}

/**
 * What pgqd does, bounded in time: every tickPeriodMs, pgq.ticker() for
 * all queues; every maintPeriodMs, the maintenance pgq.maint_operations()
 * lists (see TickerSchedule).
 */
export async function runTicker(db: Db, opts: TickerOptions): Promise<TickerRun> {
  const schedule = new TickerSchedule(opts.tickPeriodMs, opts.maintPeriodMs);
  const safety = opts.safetyMs ?? 1000;
  const run: TickerRun = { rounds: 0, ticks: 0, maintenance: 0, idle: false };
  let lastTick = Date.now();
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
    await pause(Math.min(schedule.wait(), opts.deadline - safety - Date.now()), opts.signal);
  }
  return run;
}
