/** The daemon loop: back-off schedule, reset after a good round, fatal errors, stopping. */
import { describe, expect, it } from 'vitest';
import { retryDelay, runForever } from '../../lib/daemon.ts';
import { hideSecrets } from '../../lib/db/secrets.ts';

describe('the daemon loop', () => {
  it('waits 1 s after a failed round, doubling up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelay(n, 1000, 30_000))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('retries failed rounds, starts the back-off over after a good one, and ends on a fatal error', async () => {
    class Fatal extends Error {}
    const outcomes = ['fail', 'fail', 'ok', 'fail', 'ok', 'fatal'];
    const log: string[] = [];
    let round = 0;
    const done = runForever(async () => {
      const o = outcomes[round++];
      if (o === 'fail') throw new Error(`server restarting (round ${round})`);
      if (o === 'fatal') throw new Fatal('bad ini');
      return 0;
    }, { log: (level, m) => log.push(`${level} ${m}`), retryDelayMs: 10, maxRetryDelayMs: 15, isFatal: (e) => e instanceof Fatal });
    await expect(done).rejects.toThrow('bad ini');
    expect(log).toEqual([
      'ERROR server restarting (round 1) (failure 1, retrying in 10 ms)',
      'ERROR server restarting (round 2) (failure 2, retrying in 15 ms)',
      'INFO Recovered after 2 failed rounds',
      'ERROR server restarting (round 4) (failure 1, retrying in 10 ms)',
      'INFO Recovered after 1 failed round',
    ]);
  });

  it('stops when the signal is aborted, cutting a back-off wait short', async () => {
    const abort = new AbortController();
    let rounds = 0;
    // A minute of back-off: the test would time out if the wait were not cut short.
    await runForever(async () => {
      rounds++;
      setTimeout(() => abort.abort(), 10);
      throw new Error('connection refused');
    }, { log: () => {}, signal: abort.signal, retryDelayMs: 60_000 });
    expect(rounds).toBe(1);
  });

  it('keeps passwords out of messages', () => {
    const urls = ['postgres://u:s3cr%40t@h/d', "host=h password='p w' dbname=d"];
    expect(hideSecrets('auth for s3cr@t / s3cr%40t / p w failed', urls)).toBe('auth for *** / *** / *** failed');
  });
});
