/**
 * Side by side with the real Londiste 3, same server, same data, same run:
 * figure 2 (apply a backlog of row events) and figure 3 (lag under a
 * steady load) on the PostgreSQL 15 of this
 * machine (127.0.0.1:5432, or BENCH_PG15=<base URL>), for Londiste 3
 * (Debian's pgq3, pgq-node, londiste-sql, pgqd and python3-londiste,
 * installed here with apt-get if missing) and for Lambdiste, plus the
 * physical limit (a COPY pipe of the final rows).
 *   npm run bench:londiste [-- --quick]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../lib/db/connect.ts';
import { runConsumer } from '../lib/replica/consumer.ts';
import { backlogEvents, benchChecksum, benchTable, writeBacklog } from './backlog.ts';
import { copyPipe, exec, fmt, quick, replicaPair, report, reps, stat } from './common.ts';
import { lagTable, measureLag } from './lag-load.ts';
import { withLocalRuntime } from './local-runtime.ts';

const base = new URL(process.env.BENCH_PG15 ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const ddl = benchTable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rate = Number(process.env.BENCH_TPS ?? 1000);
const lagSeconds = quick ? 8 : 30;

function ensureLondiste(): void {
  if (spawnSync('which', ['londiste']).status === 0 && spawnSync('which', ['pgqd']).status === 0) return;
  const pkgs = ['postgresql-15-pgq3', 'postgresql-15-pgq-node', 'postgresql-15-londiste-sql', 'pgqd', 'python3-londiste'];
  execFileSync('apt-get', ['install', '-y', '-qq', ...pkgs], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

const url = (db: string) => {
  const u = new URL(base);
  u.pathname = '/' + db;
  return u.toString();
};
const libpq = (db: string) =>
  `dbname=${db} host=${base.hostname} port=${base.port || 5432} user=${decodeURIComponent(base.username || 'postgres')}`;

async function freshPair(prefix: string, table: string): Promise<[string, string]> {
  const admin = await connect(base.toString());
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

/** Londiste 3 set up for a root and a leaf database and `tables` (already identical), not yet running. */
function londiste(src: string, dst: string, tables: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-londiste-'));
  const ini = (name: string) => {
    const f = join(dir, `${name}.ini`);
    writeFileSync(f, `[londiste]\njob_name = ${name}\ndb = ${libpq(name)}\nqueue_name = replika\nlogfile = ${dir}/${name}.log\npidfile = ${dir}/${name}.pid\n`);
    return f;
  };
  const srcIni = ini(src);
  const dstIni = ini(dst);
  const pgqdIni = join(dir, 'pgqd.ini');
  writeFileSync(pgqdIni, `[pgqd]\nbase_connstr = host=${base.hostname} port=${base.port || 5432} user=${base.username || 'postgres'}\ninitial_database = ${src}\ndatabase_list = ${src}\nlogfile = ${dir}/pgqd.log\npidfile = ${dir}/pgqd.pid\n`);
  const lond = (...args: string[]) => execFileSync('londiste', args, { stdio: 'pipe' });
  lond(srcIni, 'create-root', src, libpq(src));
  lond(dstIni, 'create-leaf', dst, libpq(dst), `--provider=${libpq(src)}`);
  for (const t of tables) {
    lond(srcIni, 'add-table', t);
    lond(dstIni, 'add-table', t, '--expect-sync');
  }
  return {
    // pgqd ticks on its own (every second, or 500 events): batches as Londiste users get them.
    startTicker: () => execFileSync('pgqd', ['-d', pgqdIni]),
    startWorker: () => lond(dstIni, 'worker', '-d'),
    stop: () => {
      spawnSync('londiste', [dstIni, 'worker', '-s']);
      spawnSync('pgqd', ['-s', pgqdIni]);
    },
  };
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

async function lambdisteLag(rep: number) {
  const [src, dst] = await freshPair(`lamblag${rep}`, lagTable);
  return (await withLocalRuntime(url(src), url(dst), ['lagt'], () => measureLag(url(src), url(dst), { rate, seconds: lagSeconds }))).result;
}

/** `rowsPerEvent` 1: one event per row change (add-table --rows-per-event=1), as Londiste writes them. */
async function lambdisteOnce(rep: number, rowsPerEvent?: number): Promise<{ seconds: number; pipe: number }> {
  const [src, dst] = await freshPair(`lamb${rep}`, ddl);
  await replicaPair(url(src), url(dst), ['bench'], { rowsPerEvent });
  // Our ticker's rule (tick when due) after each transaction, as a running ticker would.
  await writeBacklog(url(src), async (db) => {
    await db.query(`select pgq.ticker()`);
  });
  await exec(url(src), `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
  const t0 = performance.now();
  for (;;) {
    const r = await runConsumer({ queue: 'replika', consumer: 'dst', providerUrl: url(src), subscriberUrl: url(dst), deadline: Date.now() + 600_000 });
    if (r.batches === 0 && !r.moreWork) break;
  }
  const seconds = (performance.now() - t0) / 1000;
  if ((await checksum(src)) !== (await checksum(dst))) throw new Error('Lambdiste subscriber differs');
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
const rows: { londiste: number; lambdiste: number; perRow: number; pipe: number }[] = [];
const lags: { londiste: Awaited<ReturnType<typeof measureLag>>; lambdiste: Awaited<ReturnType<typeof measureLag>> }[] = [];
for (let i = 0; i < reps; i++) {
  const l = await londisteOnce(i);
  const m = await lambdisteOnce(i);
  const perRow = (await lambdisteOnce(i, 1)).seconds;
  rows.push({ londiste: l, lambdiste: m.seconds, perRow, pipe: m.pipe });
  lags.push({ londiste: await londisteLag(i), lambdiste: await lambdisteLag(i) });
}
const evs = (k: 'londiste' | 'lambdiste' | 'perRow') => stat(rows.map((r) => events / r[k]));
const lag = (k: 'londiste' | 'lambdiste', p: 'p50' | 'p95') => fmt(stat(lags.map((r) => r[k][p])));
report('londiste', [
  ['server', `PostgreSQL 15 at ${base.hostname}:${base.port || 5432} (provider and subscriber databases on it)`],
  ['backlog events', String(events)],
  ['Londiste 3 apply, events/s', fmt(evs('londiste'))],
  ['Lambdiste apply, events/s', fmt(evs('lambdiste'))],
  ['Lambdiste / Londiste 3', `${fmt(stat(rows.map((r) => r.londiste / r.lambdiste)), 2)}  target >= 3`],
  ['Lambdiste with one event per row (--rows-per-event=1), events/s', fmt(evs('perRow'))],
  ['  / Londiste 3', fmt(stat(rows.map((r) => r.londiste / r.perRow)), 2)],
  ['physical limit (COPY pipe of the final rows), s', fmt(stat(rows.map((r) => r.pipe)), 2)],
  ['Lambdiste vs physical limit (pipe time / apply time)', `${fmt(stat(rows.map((r) => r.pipe / r.lambdiste)), 2)}  target >= 0.30`],
  [`lag at ${rate} tx/s, Londiste 3 (pgqd + worker, defaults), p50 / p95 ms`, `${lag('londiste', 'p50')} / ${lag('londiste', 'p95')}`],
  [`lag at ${rate} tx/s, Lambdiste (local runtime, defaults), p50 / p95 ms`, `${lag('lambdiste', 'p50')} / ${lag('lambdiste', 'p95')}  target <= 300 / 800`],
], { events, rows, lags });
process.exit(0);
