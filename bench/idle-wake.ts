/**
 * Figure 3b, the first change after an idle spell, in the Lambda shape:
 * the ticker and consumer functions in this process (bench/local-runtime.ts:
 * the ticker on its one-minute schedule, woken as the database wakes it on
 * AWS). Each sample waits until the ticker function has returned idle
 * (asleep) and the queue has been quiet a while longer, then writes one
 * row on the provider and times it until it is visible on the subscriber.
 * Once asleep nothing runs until a wake or the schedule, so the length of
 * the quiet spell beyond that changes nothing: BENCH_IDLE_S (default 5 s)
 * stands for the five minutes. With BENCH_NO_WAKE=1 the wakes are
 * ignored: the schedule alone (up to a minute).
 *   npx tsx bench/idle-wake.ts [--quick]
 */
import { exec, fmt, freshDb, quick, report, servers, stat } from './common.ts';

process.env.LAMBDISTE_TICKER_IDLE_EXIT_MS ??= '10000';
const { withLocalRuntime } = await import('./local-runtime.ts');
const samples = Number(process.env.BENCH_SAMPLES ?? (quick ? 5 : 20));
const idleS = Number(process.env.BENCH_IDLE_S ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const s = await servers('idlewake');
try {
  const src = await freshDb(s.provider, 'idlewake_src');
  const dst = await freshDb(s.subscriber, 'idlewake_dst');
  for (const db of [src, dst]) await exec(db, 'create table public.w (id int primary key, at timestamptz)');
  const { result: latencies, schedule } = await withLocalRuntime(src, dst, ['w'], async () => {
    const out: number[] = [];
    // The table's copy done first: the steady state.
    for (;;) {
      const [r] = await exec(dst, `select tbl_merge_state from lambdiste.table_info`);
      if (r!.rows[0]?.tbl_merge_state === 'ok') break;
      await sleep(200);
    }
    for (let i = 1; i <= samples; i++) {
      for (;;) {
        const [r] = await exec(src, `select wake_awake_until < now() as asleep from lambdiste.ticker_wake`);
        if (r!.rows[0]?.asleep) break;
        await sleep(200);
      }
      await sleep(idleS * 1000);
      const t0 = performance.now();
      await exec(src, `insert into w values (${i}, now())`);
      for (;;) {
        const [r] = await exec(dst, `select 1 from w where id = ${i}`);
        if (r!.rowCount) break;
        await sleep(10);
      }
      out.push(performance.now() - t0);
      console.log(`  sample ${i}: ${Math.round(out.at(-1)!)} ms`);
    }
    return out;
  });
  const st = stat(latencies);
  const sorted = [...latencies].sort((a, b) => a - b);
  const p95 = sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]!;
  report('idle-wake', [
    ['samples (each after the ticker returned idle, then quiet ' + idleS + ' s)', String(samples)],
    ['first change visible on the leaf, ms (median, min–max)', fmt(st)],
    ['p95, ms', `${p95.toFixed(0)}  target <= 2000`],
    ['ticker invocations: by schedule + by wake', `${schedule!.invocations - schedule!.wakes} + ${schedule!.wakes}`],
  ], { samples, idleS, latencies: st, p95 });
} finally {
  await s.stop();
}
