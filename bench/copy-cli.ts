/**
 * Figure 4 through the CLI: with the root's and the leaf's `worker`
 * processes running with their defaults, `lambdiste leaf.ini add-table`
 * (its own process) of a 1,000,000-row table (200,000 with --quick), timed
 * until the table is `ok` on the leaf; and four tables of a quarter each
 * with max_parallel_copy 4 against one at a time. Beside it, the physical
 * limit: one COPY pipe of the same rows (keeping the primary key).
 *   npx tsx bench/copy-cli.ts [--quick]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { iniFile, startDaemon } from './cli.ts';
import { copyPipe, cpuMeter, exec, fmt, freshDb, quick, replicaPair, report, reps, servers, stat } from './common.ts';
import { copyDdl, copyFill, watchCopyStates } from './copy-load.ts';

const rows = quick ? 200_000 : 1_000_000;
const bin = join(import.meta.dirname, '..', 'bin', 'lambdiste.mjs');

async function once(s: Awaited<ReturnType<typeof servers>>, name: string, tables: string[], maxParallel?: number) {
  const src = await freshDb(s.provider, `${name}_src`);
  const dst = await freshDb(s.subscriber, `${name}_dst`);
  for (const t of tables) {
    await exec(src, `${copyDdl(t)}; ${copyFill(t, rows / tables.length)}`);
    await exec(src, `vacuum analyze ${t}`);
    await exec(dst, copyDdl(t));
  }
  // The root captures the tables; the leaf adds them below, as a user would.
  const { root, leaf } = await replicaPair(src, dst, tables, { copy: true });
  const daemons = [startDaemon(root, 'worker'), startDaemon(leaf, 'worker', maxParallel ? { parallel_copies: String(maxParallel) } : {})];
  try {
    const t0 = performance.now();
    const cpu = cpuMeter();
    const watch = watchCopyStates(dst, `select tbl_merge_state as s from lambdiste.table_info where tbl_queue = 'replika'`, t0);
    execFileSync(process.execPath, [bin, iniFile(leaf), 'add-table', ...tables, ...(maxParallel ? [`--max-parallel-copy=${maxParallel}`] : [])], { stdio: 'ignore' });
    const r = await watch.done();
    const coresBusy = cpu.stop();
    let pipeSeconds = 0;
    for (const t of tables) {
      await exec(dst, copyDdl(`${t}_pipe`));
      pipeSeconds += await copyPipe(src, dst, t, `${t}_pipe`);
    }
    return { seconds: r.ok!, states: r.states, pipeSeconds, coresBusy };
  } finally {
    for (const d of daemons) await d.stop();
  }
}

const s = await servers('copycli');
try {
  type Run = Awaited<ReturnType<typeof once>>;
  const one: Run[] = [];
  const four: Run[] = [];
  const serial: Run[] = [];
  for (let rep = 0; rep < reps; rep++) {
    one.push(await once(s, `copycli1_${rep}`, ['big']));
    four.push(await once(s, `copycli4_${rep}`, ['p1', 'p2', 'p3', 'p4'], 4));
    serial.push(await once(s, `copycli4s_${rep}`, ['p1', 'p2', 'p3', 'p4']));
  }
  report('copy-cli', [
    [`one table of ${rows} rows: add-table → ok, s`, fmt(stat(one.map((r) => r.seconds)), 2)],
    ['  COPY pipe of the same rows, s', fmt(stat(one.map((r) => r.pipeSeconds)), 2)],
    ['  add-table → ok / pipe', `${fmt(stat(one.map((r) => r.seconds / r.pipeSeconds)), 2)}  target <= 1.2`],
    ['  in-copy seen after, s', fmt(stat(one.map((r) => r.states['in-copy'] ?? NaN)), 2)],
    ['  cores busy (of the machine\'s, all processes)', fmt(stat(one.map((r) => r.coresBusy)), 2)],
    ['four tables, max_parallel_copy 4: add-table → ok, s', fmt(stat(four.map((r) => r.seconds)), 2)],
    ['  cores busy', fmt(stat(four.map((r) => r.coresBusy)), 2)],
    ['four tables, one at a time, s', fmt(stat(serial.map((r) => r.seconds)), 2)],
    ['  cores busy', fmt(stat(serial.map((r) => r.coresBusy)), 2)],
    ['  parallel speed-up', `${fmt(stat(serial.map((r, i) => r.seconds / four[i]!.seconds)), 2)}  target >= 1.6`],
  ], { rows, one, four, serial });
} finally {
  await s.stop();
}
