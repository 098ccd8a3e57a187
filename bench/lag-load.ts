/**
 * The lag measurement shared by bench/lag.ts and bench/londiste.ts: a
 * steady load of single-row transactions on the provider (table lagt) and
 * a poller on the subscriber (10 ms resolution); lag = commit on the
 * provider to visible on the subscriber, after a warm-up.
 */
import { connect } from '../lib/db/connect.ts';

export const lagTable = 'create table public.lagt (id bigint primary key, writer int, payload text)';

export interface LagResult {
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Achieved transactions per second. */
  achieved: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

export async function measureLag(src: string, dst: string, opts: { rate: number; seconds: number; warmup?: number }): Promise<LagResult> {
  const warmup = opts.warmup ?? 3;
  const commits = new Map<number, number>();
  const lags: number[] = [];
  let nextId = 1;
  const start = performance.now();
  const writers = await Promise.all([connect(src, { serverDefaults: true }), connect(src, { serverDefaults: true })]);
  const load = Promise.all(writers.map(async (w, i) => {
    let due = performance.now() + i * (1000 / opts.rate);
    while (performance.now() - start < (opts.seconds + warmup) * 1000) {
      const id = nextId++;
      await w.query('insert into lagt values ($1, $2, $3)', [id, i, 'x'.repeat(100)]);
      if (performance.now() - start > warmup * 1000) commits.set(id, performance.now());
      due += (writers.length * 1000) / opts.rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }));
  const poller = await connect(dst, { serverDefaults: true });
  let done = false;
  const poll = (async () => {
    while (!done || commits.size > 0) {
      const ids = [...commits.keys()].slice(0, 5000);
      if (ids.length) {
        const { rows } = await poller.query('select id from lagt where id = any($1::bigint[])', [ids]);
        const now = performance.now();
        for (const r of rows) {
          const id = Number(r.id);
          lags.push(now - commits.get(id)!);
          commits.delete(id);
        }
      }
      if (done && performance.now() - start > (opts.seconds + warmup + 60) * 1000) break;
      await sleep(10);
    }
  })();
  await load;
  const achieved = (nextId - 1) / ((performance.now() - start) / 1000);
  done = true;
  await poll;
  await Promise.all([...writers, poller].map((c) => c.end()));
  if (commits.size) throw new Error(`${commits.size} rows never arrived`);
  return { p50: percentile(lags, 50), p95: percentile(lags, 95), p99: percentile(lags, 99), max: Math.max(...lags), achieved, seconds: opts.seconds };
}
