/**
 * Figure 4, initial copy: add-table on the subscriber until the table is
 * `ok`, for a table of 1,000,000 rows (~150 MB), against the physical
 * limit (one COPY pipe into a table with the same primary key); and four
 * such tables with max_parallel_copy 4 against 1.   npm run bench:copy [-- --quick]
 */
import { copyDdl, copyFill, lambdisteCopy } from './copy-load.ts';
import { copyPipe, exec, fmt, freshDb, quick, replicaPair, report, reps, servers, stat } from './common.ts';

const rows = quick ? 200_000 : 1_000_000;
const smallRows = quick ? 50_000 : 250_000;
const ddl = copyDdl;
const fill = copyFill;

async function copyTables(s: Awaited<ReturnType<typeof servers>>, tag: string, tables: string[], n: number, parallel: number) {
  const src = await freshDb(s.provider, `copy_src_${tag}`);
  const dst = await freshDb(s.subscriber, `copy_dst_${tag}`);
  for (const t of tables) {
    await exec(src, `${ddl(t)}; ${fill(t, n)}`);
    await exec(src, `vacuum analyze ${t}`);
    await exec(dst, ddl(t));
  }
  const { leaf } = await replicaPair(src, dst, tables, { copy: true });
  const { seconds } = await lambdisteCopy(leaf, src, dst, tables, parallel);
  return { src, dst, seconds };
}

const s = await servers('copy');
try {
  const one: { seconds: number; pipe: number }[] = [];
  const par: { p1: number; p4: number }[] = [];
  for (let i = 0; i < reps; i++) {
    const r = await copyTables(s, `one${i}`, ['big'], rows, 1);
    await exec(r.dst, ddl('big_pipe'));
    const pipe = await copyPipe(r.src, r.dst, 'big', 'big_pipe');
    one.push({ seconds: r.seconds, pipe });
    const four = ['t1', 't2', 't3', 't4'];
    const p1 = (await copyTables(s, `p1_${i}`, four, smallRows, 1)).seconds;
    const p4 = (await copyTables(s, `p4_${i}`, four, smallRows, 4)).seconds;
    par.push({ p1, p4 });
  }
  const ratio = stat(one.map((r) => r.pipe / r.seconds));
  report('copy', [
    [`one table of ${rows} rows: add-table → ok, s`, fmt(stat(one.map((r) => r.seconds)), 2)],
    ['  rows/s', fmt(stat(one.map((r) => rows / r.seconds)))],
    ['physical limit (COPY pipe, primary key kept), s', fmt(stat(one.map((r) => r.pipe)), 2)],
    ['vs physical limit (pipe time / copy time)', `${fmt(ratio, 2)}  target >= 0.80`],
    [`four tables of ${smallRows} rows, max_parallel_copy 1, s`, fmt(stat(par.map((r) => r.p1)), 2)],
    [`four tables of ${smallRows} rows, max_parallel_copy 4, s`, fmt(stat(par.map((r) => r.p4)), 2)],
    ['speed-up of 4 parallel copies', fmt(stat(par.map((r) => r.p1 / r.p4)), 2)],
  ], { rows, one, par, ratio });
} finally {
  await s.stop();
}
