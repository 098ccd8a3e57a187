/**
 * Figure 3, replication lag: a steady load of single-row transactions on
 * the provider (1,000/s by default), replicated by the ticker and consumer
 * functions running in this process (the local runtime) with the default
 * tick settings. Lag = time from a transaction's commit on the provider to
 * its row being visible on the subscriber (poller resolution 10 ms).
 *   npm run bench:lag [-- --quick]
 */
import { exec, fmt, freshDb, quick, report, reps, servers, stat } from './common.ts';
import { lagTable, measureLag } from './lag-load.ts';
import { withLocalRuntime } from './local-runtime.ts';

const rate = Number(process.env.BENCH_TPS ?? 1000);
const seconds = quick ? 6 : 30;

async function once(rep: number, s: Awaited<ReturnType<typeof servers>>) {
  const src = await freshDb(s.provider, `lag_src_${rep}`);
  const dst = await freshDb(s.subscriber, `lag_dst_${rep}`);
  await exec(src, lagTable);
  await exec(dst, lagTable);
  // Invocations and busy time counted over the load's whole period, from
  // its start until it ends, not with the setup's copies.
  const { result } = await withLocalRuntime(src, dst, ['lagt'], async () => {
    const invoker = (await import('../lib/lambda/runtime.ts')).getInvoker() as import('../lib/invoke/in-process.ts').InProcessInvoker;
    // A run in flight at the start (a consumer lingering from batch to batch) counts as one of the period's.
    const before = { invocations: invoker.invocations - invoker.inFlight, busyMs: invoker.busyMs, at: performance.now() };
    const lag = await measureLag(src, dst, { rate, seconds });
    const wallSeconds = (performance.now() - before.at) / 1000;
    return {
      ...lag,
      invocationsPerHour: ((invoker.invocations - before.invocations) / wallSeconds) * 3600,
      consumerBusyFraction: (invoker.busyMs - before.busyMs) / 1000 / wallSeconds,
    };
  });
  return result;
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
    ['lag p50, ms', `${fmt(p50)}  target <= 100 (Londiste 3: 1075)`],
    ['lag p95, ms', `${fmt(p95)}  target <= 250 (Londiste 3: 1777)`],
    ['lag p99, ms', fmt(stat(runs.map((r) => r.p99)))],
    ['lag max, ms', fmt(stat(runs.map((r) => r.max)))],
    ['consumer invocations per hour at this load', fmt(stat(runs.map((r) => r.invocationsPerHour)))],
    ['consumer busy time per second of load (billed duration), s', fmt(stat(runs.map((r) => r.consumerBusyFraction)), 2)],
  ], { rate, p50, p95, runs });
} finally {
  await s.stop();
}
