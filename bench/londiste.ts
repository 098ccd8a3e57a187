/**
 * Side by side with the real Londiste 3, same server, same data, same run,
 * on the PostgreSQL 15 of this machine (127.0.0.1:5432, or
 * BENCH_PG15=<base URL>), each system on its own databases: Londiste 3
 * (Debian's pgq3, pgq-node, londiste-sql, pgqd and python3-londiste,
 * installed here with apt-get if missing, driven by its CLI) and Lambdiste.
 *   1. capture overhead: pgbench single-row INSERT/UPDATE (1 and 2 clients)
 *      and bulk statements on a replicated table against a plain one
 *      (bench/capture-load.ts), Londiste's C trigger vs Lambdiste's;
 *   2. apply a backlog of row events (bench/backlog.ts);
 *   3. lag under a steady load (bench/lag-load.ts), both with defaults;
 *   4. initial copy: leaf add-table → `ok` (bench/copy-load.ts);
 * with the physical limit (a COPY pipe of the final rows) for 2 and 4.
 *   npm run bench:londiste [-- --quick] [-- --figures=1,4]   (or BENCH_FIGURES=1,4)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../lib/db/connect.ts';
import { backlogEvents, benchChecksum, benchTable, writeBacklog } from './backlog.ts';
import { captureTables, measureCapture, type CaptureFigures } from './capture-load.ts';
import { cmd, copyPipe, exec, fmt, quick, replicaPair, report, reps, stat, type Stat } from './common.ts';
import { copyDdl, copyFill, watchCopyStates, type CopyTimes } from './copy-load.ts';
import { iniFile, startDaemon } from './cli.ts';
import { lagTable, measureLag } from './lag-load.ts';

const base = new URL(process.env.BENCH_PG15 ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const ddl = benchTable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lambdisteBin = join(import.meta.dirname, '..', 'bin', 'lambdiste.mjs');
const rate = Number(process.env.BENCH_TPS ?? 1000);
const lagSeconds = quick ? 5 : 30;
const copyRows = quick ? 200_000 : 1_000_000;
// --figures=1,4 (or BENCH_FIGURES=1,4): only these figures.
const figuresArg = process.argv.find((a) => a.startsWith('--figures='))?.slice('--figures='.length) ?? process.env.BENCH_FIGURES;
const wanted = new Set((figuresArg || '1,2,3,4').split(',').map((f) => Number(f.trim())));
if ([...wanted].some((f) => ![1, 2, 3, 4].includes(f))) throw new Error(`--figures: a comma-separated list of 1, 2, 3, 4, not ${figuresArg}`);

function ensureLondiste(): void {
  if (spawnSync('which', ['londiste']).status === 0 && spawnSync('which', ['pgqd']).status === 0) return;
  const pkgs = ['postgresql-15-pgq3', 'postgresql-15-pgq-node', 'postgresql-15-londiste-sql', 'pgqd', 'python3-londiste'];
  const apt = (...args: string[]) => spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!apt('install', '-y', '-qq', ...pkgs) && !(apt('update', '-qq') && apt('install', '-y', '-qq', ...pkgs))) {
    throw new Error(`could not install Londiste 3 (${pkgs.join(' ')})`);
  }
}

const url = (db: string) => {
  const u = new URL(base);
  u.pathname = '/' + db;
  return u.toString();
};
const libpq = (db: string) =>
  `dbname=${db} host=${base.hostname} port=${base.port || 5432} user=${decodeURIComponent(base.username || 'postgres')}`;

async function freshPair(prefix: string, table: string): Promise<[string, string]> {
  const admin = await connect(base.toString(), { serverDefaults: true });
  for (const d of [`${prefix}_src`, `${prefix}_dst`]) {
    await admin.query(`drop database if exists ${d} with (force)`);
    await admin.query(`create database ${d}`);
  }
  await admin.end();
  await exec(url(`${prefix}_src`), table);
  await exec(url(`${prefix}_dst`), table);
  return [`${prefix}_src`, `${prefix}_dst`];
}

const checksum = (db: string) => benchChecksum(url(db));
const events = backlogEvents;

/**
 * Londiste 3 set up for a root and (unless `dst` is null) a leaf database,
 * replicating `tables` (already identical), not yet running.
 */
function londiste(src: string, dst: string | null, tables: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-londiste-'));
  const ini = (name: string) => {
    const f = join(dir, `${name}.ini`);
    writeFileSync(f, `[londiste]\njob_name = ${name}\ndb = ${libpq(name)}\nqueue_name = replika\nlogfile = ${dir}/${name}.log\npidfile = ${dir}/${name}.pid\n`);
    return f;
  };
  const srcIni = ini(src);
  const dstIni = dst === null ? null : ini(dst);
  const pgqdIni = join(dir, 'pgqd.ini');
  writeFileSync(pgqdIni, `[pgqd]\nbase_connstr = host=${base.hostname} port=${base.port || 5432} user=${base.username || 'postgres'}\ninitial_database = ${src}\ndatabase_list = ${src}\nlogfile = ${dir}/pgqd.log\npidfile = ${dir}/pgqd.pid\n`);
  const lond = (...args: string[]) => execFileSync('londiste', args, { stdio: 'pipe' });
  lond(srcIni, 'create-root', src, libpq(src));
  if (dstIni) lond(dstIni, 'create-leaf', dst!, libpq(dst!), `--provider=${libpq(src)}`);
  for (const t of tables) {
    lond(srcIni, 'add-table', t);
    if (dstIni) lond(dstIni, 'add-table', t, '--expect-sync');
  }
  return {
    // pgqd ticks on its own (every second, or 500 events): batches as Londiste users get them.
    startTicker: () => execFileSync('pgqd', ['-d', pgqdIni]),
    startWorker: () => lond(dstIni!, 'worker', '-d'),
    rootAddTable: (t: string) => lond(srcIni, 'add-table', t),
    /** add-table on the leaf (without --expect-sync): the running worker copies the table. */
    leafAddTable: (t: string) => lond(dstIni!, 'add-table', t),
    stop: () => {
      if (dstIni) spawnSync('londiste', [dstIni, 'worker', '-s']);
      spawnSync('pgqd', ['-s', pgqdIni]);
    },
  };
}

/** A fresh, empty database on the server. */
async function freshDatabase(name: string): Promise<string> {
  const admin = await connect(base.toString(), { serverDefaults: true });
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  return name;
}

/** Figure 1 for both systems, each on its own database of this server. */
async function captureSideBySide(): Promise<{ londiste: CaptureFigures; lambdiste: CaptureFigures }> {
  const lond = await freshDatabase('londcap');
  await captureTables(url(lond), ['plain', 'captured']);
  londiste(lond, null, ['public.captured']);
  await exec(url(lond), `select pgq.register_consumer('replika', 'bench')`);
  const londisteFigures = await measureCapture(url(lond), 'plain', 'captured', ['captured']);

  const lamb = await freshDatabase('lambcap');
  await captureTables(url(lamb), ['plain', 'captured', 'captured_rows']);
  const root = { jobName: 'src', db: url(lamb), queueName: 'replika', settings: {} };
  await cmd(root, 'create-root', ['src']);
  await cmd(root, 'add-table', ['captured']);
  await cmd(root, 'add-table', ['captured_rows'], { rowsPerEvent: 1 });
  await exec(url(lamb), `select pgq.register_consumer('replika', 'bench')`);
  const lambdisteFigures = await measureCapture(url(lamb), 'plain', 'captured', ['captured', 'captured_rows']);
  return { londiste: londisteFigures, lambdiste: lambdisteFigures };
}

interface CopySide {
  londiste: CopyTimes;
  lambdiste: CopyTimes;
  /** The physical limit: one COPY pipe of the table, seconds. */
  pipe: number;
}

/**
 * Figure 4 for both systems: add-table on the leaf until the table is `ok`
 * (the root's add-table done before), and the COPY pipe.
 */
async function copySideBySide(rep: number): Promise<CopySide> {
  const [ls, ld] = await freshPair(`londcopy${rep}`, copyDdl('big'));
  await exec(url(ls), copyFill('big', copyRows));
  await exec(url(ls), 'vacuum analyze big');
  const l = londiste(ls, ld, []);
  l.rootAddTable('public.big');
  l.startTicker();
  let londisteTimes: CopyTimes;
  try {
    l.startWorker();
    await sleep(1000);
    const t0 = performance.now();
    // The leaf's state in londiste.table_info: NULL, in-copy, catching-up, wanna-sync:<tick>, do-sync:<tick>, ok.
    const watch = watchCopyStates(url(ld), `select merge_state as s from londiste.table_info where queue_name = 'replika' and table_name = 'public.big'`, t0);
    l.leafAddTable('public.big');
    const timeout = setTimeout(() => void watch.stop(), 600_000);
    const { copied, ok, states } = await watch.done();
    clearTimeout(timeout);
    if (ok === null) throw new Error('Londiste did not copy in 10 minutes');
    londisteTimes = { seconds: ok, copyPhase: copied, states };
  } finally {
    l.stop();
  }

  const [ms, md] = await freshPair(`lambcopy${rep}`, copyDdl('big'));
  await exec(url(ms), copyFill('big', copyRows));
  await exec(url(ms), 'vacuum analyze big');
  const { root, leaf } = await replicaPair(url(ms), url(md), ['big'], { copy: true });
  // As Londiste's: both workers running, then the leaf's add-table (its own process).
  const daemons = [startDaemon(root, 'worker'), startDaemon(leaf, 'worker')];
  let lambdisteTimes: CopyTimes;
  try {
    await sleep(1000);
    const t0 = performance.now();
    const watch = watchCopyStates(url(md), `select tbl_merge_state as s from lambdiste.table_info where tbl_queue = 'replika'`, t0);
    execFileSync(process.execPath, [lambdisteBin, iniFile(leaf), 'add-table', 'big'], { stdio: 'pipe' });
    const { copied, ok, states } = await watch.done();
    lambdisteTimes = { seconds: ok!, copyPhase: copied, states };
  } finally {
    for (const d of daemons) await d.stop();
  }
  await exec(url(md), copyDdl('big_pipe'));
  const pipe = await copyPipe(url(ms), url(md), 'big', 'big_pipe');
  return { londiste: londisteTimes, lambdiste: lambdisteTimes, pipe };
}

async function londisteOnce(rep: number): Promise<number> {
  const [src, dst] = await freshPair(`lond${rep}`, ddl);
  const l = londiste(src, dst, ['public.bench']);
  l.startTicker();
  try {
    await writeBacklog(url(src), async () => {});
    await sleep(3000);
    const t0 = performance.now();
    l.startWorker();
    const want = await checksum(src);
    while ((await checksum(dst)) !== want) {
      if (performance.now() - t0 > 600_000) throw new Error('Londiste did not catch up in 10 minutes');
      await sleep(200);
    }
    return (performance.now() - t0) / 1000;
  } finally {
    l.stop();
  }
}

async function londisteLag(rep: number) {
  const [src, dst] = await freshPair(`londlag${rep}`, lagTable);
  const l = londiste(src, dst, ['public.lagt']);
  l.startTicker();
  l.startWorker();
  try {
    await sleep(3000);
    return await measureLag(url(src), url(dst), { rate, seconds: lagSeconds });
  } finally {
    l.stop();
  }
}

/** Lambdiste's CLI daemons, with their defaults: the root's worker (the ticker) and the leaf's. */
async function lambdisteLag(rep: number) {
  const [src, dst] = await freshPair(`lamblag${rep}`, lagTable);
  const { root, leaf } = await replicaPair(url(src), url(dst), ['lagt']);
  const daemons = [startDaemon(root, 'worker'), startDaemon(leaf, 'worker')];
  try {
    await sleep(3000);
    return await measureLag(url(src), url(dst), { rate, seconds: lagSeconds });
  } finally {
    for (const d of daemons) await d.stop();
  }
}

/**
 * The backlog written while the root's worker ticks with its defaults (as
 * pgqd does for Londiste), then the leaf's worker started and timed until
 * the tables compare, as Londiste's is. `rowsPerEvent` 1: one event per row
 * change (add-table --rows-per-event=1), as Londiste writes them.
 */
async function lambdisteOnce(rep: number, rowsPerEvent?: number): Promise<{ seconds: number; pipe: number }> {
  const [src, dst] = await freshPair(`lamb${rep}`, ddl);
  const { root, leaf } = await replicaPair(url(src), url(dst), ['bench'], { rowsPerEvent });
  const ticker = startDaemon(root, 'worker');
  let seconds: number;
  try {
    await writeBacklog(url(src), async () => {});
    await sleep(3000);
    const t0 = performance.now();
    const worker = startDaemon(leaf, 'worker');
    try {
      const want = await checksum(src);
      while ((await checksum(dst)) !== want) {
        if (performance.now() - t0 > 600_000) throw new Error('Lambdiste did not catch up in 10 minutes');
        await sleep(200);
      }
      seconds = (performance.now() - t0) / 1000;
    } finally {
      await worker.stop();
    }
  } finally {
    await ticker.stop();
  }
  await exec(url(dst), benchTable('bench_pipe'));
  const pipe = await copyPipe(url(src), url(dst), 'bench', 'bench_pipe');
  return { seconds, pipe };
}

try {
  await exec(base.toString(), 'select 1');
} catch (err) {
  console.log(`\nlondiste\n  skipped: no PostgreSQL 15 at ${base.hostname}:${base.port || 5432} (${(err as Error).message})`);
  process.exit(0);
}
ensureLondiste();
const lines: [string, string][] = [
  ['server', `PostgreSQL 15 at ${base.hostname}:${base.port || 5432} (each system on its own databases)`],
];
const figures: Record<string, unknown> = {};
const started = performance.now();
const progress = (what: string) => console.error(`londiste: ${what} (${((performance.now() - started) / 1000).toFixed(0)} s)`);

if (wanted.has(1)) {
  const c = await captureSideBySide();
  for (const key of Object.keys(c.lambdiste.singleRow)) {
    const [kind, clients] = key.split('_');
    const tps = (f: CaptureFigures) => `(TPS ${f.singleRow[key]!.without.median.toFixed(0)} → ${f.singleRow[key]!.with.median.toFixed(0)})`;
    lines.push([`1. single-row ${kind}, ${clients} client(s), TPS with / without capture: Londiste 3`, `${fmt(c.londiste.singleRow[key]!.ratio, 2)}  ${tps(c.londiste)}`]);
    lines.push([`   Lambdiste`, `${fmt(c.lambdiste.singleRow[key]!.ratio, 2)}  ${tps(c.lambdiste)}  target >= 0.90`]);
  }
  for (const label of Object.keys(c.lambdiste.bulk)) {
    lines.push([`1. ${label}, time with / without capture: Londiste 3`, fmt(c.londiste.bulk[label]!.captured!, 2)]);
    lines.push([`   Lambdiste`, `${fmt(c.lambdiste.bulk[label]!.captured!, 2)}  target <= 2`]);
    lines.push([`   Lambdiste, one event per row (--rows-per-event=1)`, fmt(c.lambdiste.bulk[label]!.captured_rows!, 2)]);
  }
  figures.capture = c;
  progress('figure 1 done');
}

if (wanted.has(2) || wanted.has(3)) {
  const rows: { londiste: number; lambdiste: number; perRow: number; pipe: number }[] = [];
  const lags: { londiste: Awaited<ReturnType<typeof measureLag>>; lambdiste: Awaited<ReturnType<typeof measureLag>> }[] = [];
  for (let i = 0; i < reps; i++) {
    if (wanted.has(2)) {
      const l = await londisteOnce(i);
      const m = await lambdisteOnce(i);
      const perRow = (await lambdisteOnce(i, 1)).seconds;
      rows.push({ londiste: l, lambdiste: m.seconds, perRow, pipe: m.pipe });
    }
    if (wanted.has(3)) lags.push({ londiste: await londisteLag(i), lambdiste: await lambdisteLag(i) });
    progress(`figures ${[2, 3].filter((f) => wanted.has(f)).join(', ')}: repetition ${i + 1} of ${reps} done`);
  }
  if (wanted.has(2)) {
    const evs = (k: 'londiste' | 'lambdiste' | 'perRow') => stat(rows.map((r) => events / r[k]));
    lines.push(
      ['2. backlog row events', String(events)],
      ['2. apply, events/s: Londiste 3 (worker, defaults)', fmt(evs('londiste'))],
      ['   Lambdiste (leaf worker, defaults)', `${fmt(evs('lambdiste'))}  target >= 100,000`],
      ['   Lambdiste / Londiste 3', `${fmt(stat(rows.map((r) => r.londiste / r.lambdiste)), 2)}  target >= 3`],
      ['   Lambdiste with one event per row (--rows-per-event=1)', fmt(evs('perRow'))],
      ['   / Londiste 3', fmt(stat(rows.map((r) => r.londiste / r.perRow)), 2)],
      ['   physical limit (COPY pipe of the final rows), s', fmt(stat(rows.map((r) => r.pipe)), 2)],
      ['   Lambdiste vs physical limit (pipe time / apply time)', `${fmt(stat(rows.map((r) => r.pipe / r.lambdiste)), 2)}  target >= 0.30`],
    );
    figures.apply = { events, rows };
  }
  if (wanted.has(3)) {
    const lag = (k: 'londiste' | 'lambdiste', p: 'p50' | 'p95') => fmt(stat(lags.map((r) => r[k][p])));
    lines.push(
      [`3. lag at ${rate} tx/s, p50 / p95 ms: Londiste 3 (pgqd + worker, defaults)`, `${lag('londiste', 'p50')} / ${lag('londiste', 'p95')}`],
      ['   Lambdiste (root and leaf worker, defaults)', `${lag('lambdiste', 'p50')} / ${lag('lambdiste', 'p95')}  target <= 100 / 250`],
    );
    figures.lag = lags;
  }
}

if (wanted.has(4)) {
  const copies: CopySide[] = [];
  for (let i = 0; i < reps; i++) {
    copies.push(await copySideBySide(i));
    progress(`figure 4: repetition ${i + 1} of ${reps} done`);
  }
  const secs = (f: (c: CopySide) => number | null, digits = 2) => {
    const xs = copies.map(f).filter((x): x is number => x !== null);
    return xs.length ? fmt(stat(xs), digits) : '—';
  };
  lines.push(
    [`4. initial copy of ${copyRows} rows, leaf add-table → ok, s: Londiste 3 (worker + pgqd, defaults)`, secs((c) => c.londiste.seconds)],
    ['   rows/s', secs((c) => copyRows / c.londiste.seconds, 0)],
    ['   add-table → in-copy / → catching-up (rows copied), s', `${secs((c) => c.londiste.states['in-copy'] ?? null)} / ${secs((c) => c.londiste.copyPhase)}`],
    ['   Lambdiste', secs((c) => c.lambdiste.seconds)],
    ['   rows/s', secs((c) => copyRows / c.lambdiste.seconds, 0)],
    ['   add-table → in-copy / → catching-up (rows copied), s', `${secs((c) => c.lambdiste.states['in-copy'] ?? null)} / ${secs((c) => c.lambdiste.copyPhase)}`],
    ['   Lambdiste / Londiste 3 (speed-up)', secs((c) => c.londiste.seconds / c.lambdiste.seconds)],
    ['   physical limit (COPY pipe, primary key kept), s', secs((c) => c.pipe)],
    ['   rows/s', secs((c) => copyRows / c.pipe, 0)],
    ['   copy time / pipe time: Londiste 3', secs((c) => c.londiste.seconds / c.pipe)],
    ['   Lambdiste (both workers, add-table, defaults)', `${secs((c) => c.lambdiste.seconds / c.pipe)}  target <= 1.2`],
  );
  figures.copy = {
    rows: copyRows,
    copies,
    seconds: { londiste: stat(copies.map((c) => c.londiste.seconds)), lambdiste: stat(copies.map((c) => c.lambdiste.seconds)), pipe: stat(copies.map((c) => c.pipe)) },
    rowsPerSecond: {
      londiste: stat(copies.map((c) => copyRows / c.londiste.seconds)),
      lambdiste: stat(copies.map((c) => copyRows / c.lambdiste.seconds)),
      pipe: stat(copies.map((c) => copyRows / c.pipe)),
    },
    pipeOverCopy: { londiste: stat(copies.map((c) => c.pipe / c.londiste.seconds)), lambdiste: stat(copies.map((c) => c.pipe / c.lambdiste.seconds)) },
  };
}

report('londiste', lines, figures);
process.exit(0);
