/**
 * Figure 3 through the CLI: the root's and the leaf's `worker` processes
 * with their defaults, a steady load of single-row transactions on the
 * provider (bench/lag-load.ts).   npx tsx bench/lag-cli.ts [--quick]
 */
import { exec, fmt, freshDb, quick, replicaPair, report, reps, servers, stat } from './common.ts';
import { startDaemon } from './cli.ts';
import { lagTable, measureLag } from './lag-load.ts';

const rate = Number(process.env.BENCH_TPS ?? 1000);
const seconds = quick ? 6 : 30;

const s = await servers('lagcli');
try {
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const src = await freshDb(s.provider, `lagcli_src_${rep}`);
    const dst = await freshDb(s.subscriber, `lagcli_dst_${rep}`);
    await exec(src, lagTable);
    await exec(dst, lagTable);
    const { root, leaf } = await replicaPair(src, dst, ['lagt']);
    const daemons = [startDaemon(root, 'worker'), startDaemon(leaf, 'worker')];
    try {
      runs.push(await measureLag(src, dst, { rate, seconds }));
    } finally {
      for (const d of daemons) await d.stop();
    }
  }
  const p50 = stat(runs.map((r) => r.p50));
  const p95 = stat(runs.map((r) => r.p95));
  report('lag-cli', [
    ['target load, tx/s', String(rate)],
    ['achieved load, tx/s', fmt(stat(runs.map((r) => r.achieved)))],
    ['lag p50, ms', `${fmt(p50)}  target <= 100`],
    ['lag p95, ms', `${fmt(p95)}  target <= 250`],
    ['lag p99, ms', fmt(stat(runs.map((r) => r.p99)))],
  ], { rate, p50, p95, runs });
} finally {
  await s.stop();
}
