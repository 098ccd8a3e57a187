/**
 * A daemon's main loop, the way Londiste's daemons run theirs: rounds of
 * work one after the other until stopped. A round that fails is logged
 * with its cause and tried again after a growing delay (1 s, doubling, up
 * to a cap); the delay starts over once a round succeeds. A process meant
 * to run for months must outlive failovers, server restarts and proxies
 * closing idle connections, so only errors the caller calls fatal (a
 * configuration error, which no retry can fix) end the loop.
 *
 * The signal stops the loop between rounds and cuts any wait short; it
 * never interrupts a round here (a round that honours it stops at its own
 * next safe point).
 */
import { setTimeout as delay } from 'node:timers/promises';

export interface DaemonOptions {
  /** Aborted on SIGTERM/SIGINT. */
  signal?: AbortSignal;
  log: (level: 'INFO' | 'WARNING' | 'ERROR', message: string) => void;
  /** Wait after a first failed round (default 1000 ms); it doubles with each failure in a row. */
  retryDelayMs?: number;
  /** The longest wait between two failed rounds (default 30,000 ms). */
  maxRetryDelayMs?: number;
  /** Errors that end the loop, thrown to the caller (default: none). */
  isFatal?: (err: unknown) => boolean;
  /** An error as one log line: its cause, no stack, no secrets (default: its message). */
  describe?: (err: unknown) => string;
  /**
   * The wait after a round that succeeded (default: `pause`); a daemon woken
   * by notifications ends it early (lib/queue/wakeup.ts). Waits after a
   * failure are never cut short by work arriving.
   */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The wait after the `failures`-th failed round in a row: first, 2×first, 4×first, ... up to max. */
export function retryDelay(failures: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(failures - 1, 0), 30));
}

/** Waits `ms`, or less if the signal is aborted first. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return;
  try {
    // node:timers/promises removes its abort listener when the timer fires:
    // a listener added per round and never removed is a leak over months.
    await delay(ms, undefined, { signal });
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}

const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(1))} s`);

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Runs `round` until the signal is aborted. `round` resolves to the time
 * to wait before the next round (0: at once). Resolves when stopped;
 * rejects only with a fatal error.
 */
export async function runForever(round: () => Promise<number>, opts: DaemonOptions): Promise<void> {
  const first = opts.retryDelayMs ?? 1000;
  const max = Math.max(first, opts.maxRetryDelayMs ?? 30_000);
  const describe = opts.describe ?? messageOf;
  let failures = 0;
  while (!opts.signal?.aborted) {
    let wait: number;
    let sleep = opts.sleep ?? pause;
    try {
      wait = await round();
      if (failures > 0) opts.log('INFO', `Recovered after ${failures} failed round${failures > 1 ? 's' : ''}`);
      failures = 0;
    } catch (err) {
      if (opts.isFatal?.(err)) throw err;
      if (opts.signal?.aborted) {
        // Stopping may itself end the round (a copy chunk is rolled back by closing its connections).
        opts.log('WARNING', `Stopped during a round: ${describe(err)}`);
        return;
      }
      failures++;
      wait = retryDelay(failures, first, max);
      sleep = pause;
      opts.log('ERROR', `${describe(err)} (failure ${failures}, retrying in ${duration(wait)})`);
    }
    await sleep(wait, opts.signal);
  }
}
