/**
 * Figure 3, replication lag: a steady load of single-row transactions on
 * the provider (1,000/s by default), replicated by the ticker and consumer
 * functions running in this process (the local runtime) with the default
 * tick settings. Lag = time from a transaction's commit on the provider to
 * its row being visible on the subscriber (poller resolution 10 ms).
 *   npm run bench:lag [-- --quick]
 */
import { connect } from '../lib/db/connect.ts';
import { exec, freshDb, quick, report, reps, servers, stat, fmt } from './common.ts';

const rate = Number(process.env.BENCH_TPS ?? 1000);
const seconds = quick ? 10 : 30;
const warmup = 3;

process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
process.env.LAMBDISTE_INVOKER = 'in-process';
const rt = await import('../lib/lambda/runtime.ts');
const { handler: admin } = await import('../functions/admin.ts');
const { handler: ticker } = await import('../functions/ticker.ts');
const { closePools } = await import('../lib/lambda/pools.ts');
type InProcess = import('../lib/invoke/in-process.ts').InProcessInvoker;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function once(rep: number, s: Awaited<ReturnType<typeof servers>>) {
  const src = await freshDb(s.provider, `lag_src_${rep}`);
  const dst = await freshDb(s.subscriber, `lag_dst_${rep}`);
  const ddl = 'create table public.lagt (id bigint primary key, writer int, payload text)';
  await exec(src, ddl);
  await exec(dst, ddl);
  process.env.LAMBDISTE_NODES = JSON.stringify({ nodes: [
    { name: 'src', type: 'root', queue: 'replika', db: src },
    { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: dst },
  ] });
  rt.resetTopology();
  rt.setInvoker(undefined);
  const ctx = () => rt.localContext('bench', 60_000);
  for (const [node, command, args] of [['src', 'create-root', []], ['src', 'add-table', ['lagt']], ['dst', 'create-leaf', []], ['dst', 'add-table', ['lagt']]] as const) {
    const r = (await admin({ node, command, args: [...args] }, ctx())) as { ok: boolean; error?: string };
    if (!r.ok) throw new Error(`${command}: ${r.error}`);
  }

  let running = true;
  const tickers = (async () => {
    while (running) await ticker({ runForMs: 5000 } as never, ctx() as never);
  })();

  const commits = new Map<number, number>();
  const lags: number[] = [];
  let nextId = 1;
  const start = performance.now();
  const writers = await Promise.all([connect(src), connect(src)]);
  const load = Promise.all(writers.map(async (w, i) => {
    let due = performance.now() + i * (1000 / rate);
    while (performance.now() - start < (seconds + warmup) * 1000) {
      const id = nextId++;
      await w.query('insert into lagt values ($1, $2, $3)', [id, i, 'x'.repeat(100)]);
      if (performance.now() - start > warmup * 1000) commits.set(id, performance.now());
      due += (writers.length * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
    }
  }));
  const poller = await connect(dst);
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
      if (done && performance.now() - start > (seconds + warmup + 30) * 1000) break;
      await sleep(10);
    }
  })();
  await load;
  const achieved = (nextId - 1) / ((performance.now() - start) / 1000);
  done = true;
  await poll;
  running = false;
  await tickers;
  await (rt.getInvoker() as InProcess).drain();
  const invocations = (rt.getInvoker() as InProcess).invocations;
  const busySeconds = (rt.getInvoker() as InProcess).busyMs / 1000;
  await Promise.all([...writers, poller].map((c) => c.end()));
  await closePools();
  if (commits.size) throw new Error(`${commits.size} rows never arrived`);
  return { p50: percentile(lags, 50), p95: percentile(lags, 95), p99: percentile(lags, 99), max: Math.max(...lags), achieved, invocationsPerHour: (invocations / seconds) * 3600, consumerBusyFraction: busySeconds / seconds };
}

const s = await servers('lag');
try {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once(i, s));
  const p50 = stat(runs.map((r) => r.p50));
  const p95 = stat(runs.map((r) => r.p95));
  report('lag', [
    ['target load, tx/s', String(rate)],
    ['achieved load, tx/s', fmt(stat(runs.map((r) => r.achieved)))],
    ['lag p50, ms', `${fmt(p50)}  target <= 300 (Londiste 3: 1075)`],
    ['lag p95, ms', `${fmt(p95)}  target <= 800 (Londiste 3: 1777)`],
    ['lag p99, ms', fmt(stat(runs.map((r) => r.p99)))],
    ['lag max, ms', fmt(stat(runs.map((r) => r.max)))],
    ['consumer invocations per hour at this load', fmt(stat(runs.map((r) => r.invocationsPerHour)))],
    ['consumer busy time per second of load (billed duration), s', fmt(stat(runs.map((r) => r.consumerBusyFraction)), 2)],
  ], { rate, p50, p95, runs });
} finally {
  await s.stop();
}
