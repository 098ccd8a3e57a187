/**
 * Through pgbouncer in transaction mode (bench/pgbouncer.ts, a pool of 10
 * server connections per database): the leaf worker applying the figure 2
 * backlog, and the lag at 1,000 tx/s, with both workers (the CLI, defaults)
 * connecting through the pooler; the load and the measuring connect
 * directly. Beside them, the same measured directly in the same run.
 *   npx tsx bench/pooler.ts [--quick]
 */
import { backlogEvents, benchChecksum, benchTable, caughtUp, writeBacklog } from './backlog.ts';
import { startDaemon } from './cli.ts';
import { exec, fmt, freshDb, quick, replicaPair, report, reps, servers, stat } from './common.ts';
import { lagTable, measureLag } from './lag-load.ts';
import { hasPgbouncer, startPgbouncer } from './pgbouncer.ts';

const rate = Number(process.env.BENCH_TPS ?? 1000);
const lagSeconds = quick ? 6 : 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

if (!hasPgbouncer) {
  console.log('\npooler\n  skipped: pgbouncer is not installed (apt-get install pgbouncer)');
  process.exit(0);
}

/** Root and leaf databases, and the URLs the workers use: through pgbouncer or not. */
async function pair(s: Awaited<ReturnType<typeof servers>>, name: string, ddl: string, pooled: boolean) {
  const src = await freshDb(s.provider, `${name}_src`);
  const dst = await freshDb(s.subscriber, `${name}_dst`);
  await exec(src, ddl);
  await exec(dst, ddl);
  const bouncer = pooled ? await startPgbouncer([src, dst], 10) : null;
  const [psrc, pdst] = bouncer ? bouncer.urls : [src, dst];
  const nodes = await replicaPair(psrc!, pdst!, [ddl.match(/public\.(\w+)/)![1]!]);
  return { src, dst, ...nodes, stop: () => bouncer?.stop() };
}

async function applyOnce(s: Awaited<ReturnType<typeof servers>>, name: string, pooled: boolean): Promise<number> {
  const p = await pair(s, name, benchTable(), pooled);
  try {
    const ticker = startDaemon(p.root, 'worker');
    await writeBacklog(p.src, async () => {});
    await sleep(1500);
    const t0 = performance.now();
    const worker = startDaemon(p.leaf, 'worker');
    const seconds = ((await caughtUp(p.src, p.dst, 'public.bench')) - t0) / 1000;
    await worker.stop();
    await ticker.stop();
    if ((await benchChecksum(p.src)) !== (await benchChecksum(p.dst))) throw new Error('subscriber differs from provider');
    return seconds;
  } finally {
    p.stop();
  }
}

async function lagOnce(s: Awaited<ReturnType<typeof servers>>, name: string, pooled: boolean) {
  const p = await pair(s, name, lagTable, pooled);
  const daemons = [startDaemon(p.root, 'worker'), startDaemon(p.leaf, 'worker')];
  try {
    await sleep(1000);
    return await measureLag(p.src, p.dst, { rate, seconds: lagSeconds });
  } finally {
    for (const d of daemons) await d.stop();
    p.stop();
  }
}

const s = await servers('pooler');
try {
  const apply = { direct: [] as number[], pooled: [] as number[] };
  const lag = { direct: [] as Awaited<ReturnType<typeof lagOnce>>[], pooled: [] as Awaited<ReturnType<typeof lagOnce>>[] };
  for (let rep = 0; rep < reps; rep++) {
    for (const pooled of [false, true]) {
      const k = pooled ? 'pooled' : 'direct';
      apply[k].push(await applyOnce(s, `pa${k}${rep}`, pooled));
      lag[k].push(await lagOnce(s, `pl${k}${rep}`, pooled));
    }
  }
  const rateOf = (xs: number[]) => fmt(stat(xs.map((x) => backlogEvents / x)));
  const l = (xs: typeof lag.direct, p: 'p50' | 'p95') => fmt(stat(xs.map((r) => r[p])));
  report('pooler', [
    ['apply the backlog, changes/s: directly', rateOf(apply.direct)],
    ['  through pgbouncer (transaction mode)', rateOf(apply.pooled)],
    [`lag at ${rate} tx/s, p50 / p95 ms: directly`, `${l(lag.direct, 'p50')} / ${l(lag.direct, 'p95')}`],
    ['  through pgbouncer (the workers poll: 50 / 100 ms)', `${l(lag.pooled, 'p50')} / ${l(lag.pooled, 'p95')}`],
  ], { apply, lag });
} finally {
  await s.stop();
}
