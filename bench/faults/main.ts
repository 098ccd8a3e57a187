/**
 * The fault-injection harness (issue 14): a root and two leaves on two
 * embedded PostgreSQL servers it starts itself, replicated by Lambdiste's
 * processes as users run them (two CLI workers per leaf, the root's CLI
 * ticker, the ticker function and a consumer function in processes of
 * their own), under a write load, while it
 *   crash   SIGKILLs those processes at random moments (and starts them again),
 *   restart restarts the provider or the subscriber (pg_ctl -m immediate),
 *   cut     drops, stalls and slows their connections through a TCP proxy,
 * and after each run checks that every leaf equals the root row for row
 * and that no change was applied twice: an ALWAYS trigger on each leaf
 * writes one audit row per row write, and the load gives every change a
 * version of its own, so a change applied twice shows as two audit rows of
 * one version.
 *
 *   npm run faults                       200 crash runs, 20 restart runs, 20 cut runs
 *   npm run faults -- --crash 50 --restart 0 --cut 0
 *   npm run faults -- --soak 30m         500 tx/s for 30 minutes with kills, restarts and cuts
 *
 * Figures go to stdout and bench/results/faults.json (faults-soak.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { runCommand } from '../../lib/admin/index.ts';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { connect } from '../../lib/db/connect.ts';
import { startLocalCluster, type LocalCluster } from '../../lib/db/embedded.ts';
import { FaultProxy } from './proxy.ts';

// ---------------------------------------------------------------- options

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1] !== undefined) return process.argv[i + 1]!;
  const eq = process.argv.find((a) => a.startsWith(`--${name}=`));
  return eq ? eq.slice(name.length + 3) : fallback;
}
function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text);
  if (!m) throw new Error(`Not a duration: ${text} (e.g. 30m, 600s)`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
}
const soakMs = process.argv.some((a) => a.startsWith('--soak')) ? durationMs(arg('soak', '30m')) : 0;
const crashRuns = soakMs ? 0 : Number(arg('crash', '200'));
const restartRuns = soakMs ? 0 : Number(arg('restart', '20'));
const cutRuns = soakMs ? 0 : Number(arg('cut', '20'));
const runSeconds = Number(arg('run-seconds', '3'));
const rate = Number(arg('rate', soakMs ? '500' : '100'));

const QUEUE = 'replika';
const outDir = join(tmpdir(), `lambdiste-faults-${process.pid}`);
mkdirSync(outDir, { recursive: true });
const repo = join(import.meta.dirname, '..', '..');
const say = (line: string) => console.log(`${new Date().toISOString().slice(11, 19)} ${line}`);

// ---------------------------------------------------------------- schema

const tablesDdl = `
  create sequence public.ver_seq;
  create sequence public.id_seq start 100000;
  create table public.acct (id bigint primary key, ver bigint not null, bal bigint not null, note text);
  create table public.item (id bigint primary key, ver bigint not null, payload text);`;

/**
 * On each leaf: one audit row per row written to a replicated table, by
 * an ALWAYS trigger (it fires during apply, whose session_replication_role
 * is replica), with the row's version and whether a COPY wrote it (the
 * initial copy writes rows that the catch-up may write again, by design).
 */
const auditDdl = `
  create table public.audit (id bigserial primary key, tbl text not null, k bigint not null, ver bigint not null,
                             op "char" not null, copy boolean not null, at timestamptz not null default clock_timestamp());
  create index on public.audit (tbl, k, ver) where not copy;
  create function public.audit_write() returns trigger language plpgsql as $$
  begin
    insert into public.audit (tbl, k, ver, op, copy)
    values (tg_table_name, new.id, new.ver, left(tg_op, 1), current_query() ~* '^\\s*copy\\s');
    return null;
  end $$;
  create trigger audit_write after insert or update on public.acct for each row execute function public.audit_write();
  create trigger audit_write after insert or update on public.item for each row execute function public.audit_write();
  alter table public.acct enable always trigger audit_write;
  alter table public.item enable always trigger audit_write;`;

// ---------------------------------------------------------------- processes

interface Proc {
  name: string;
  kind: 'worker' | 'ticker' | 'consumer-fn' | 'ticker-fn';
  /** Its connections' application_name. */
  app: string;
  child?: ChildProcess;
  starts: number;
  kills: number;
  rssMb: number[];
}

const procs: Proc[] = [];
let stopping = false;

function iniPath(job: string, db: string, settings: Record<string, string>): string {
  const path = join(outDir, `${job}.ini`);
  const keys = { job_name: job, db, queue_name: QUEUE, ...settings };
  writeFileSync(path, `[londiste3]\n${Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  return path;
}

function start(p: Proc, command: () => { args: string[]; env?: Record<string, string> }): void {
  const { args, env } = command();
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  p.child = child;
  p.starts++;
  const logFile = join(outDir, `${p.name}.log`);
  appendFileSync(logFile, `--- start ${p.starts} pid ${child.pid} at ${new Date().toISOString()}\n`);
  child.stderr!.on('data', (b: Buffer) => appendFileSync(logFile, b));
  child.on('exit', (code, signal) => {
    appendFileSync(logFile, `--- exit ${code ?? signal} at ${new Date().toISOString()}\n`);
    if (p.child === child) p.child = undefined;
    // A supervisor (systemd, Lambda's next invocation) starts it again.
    if (!stopping) setTimeout(() => !stopping && !p.child && start(p, command), Math.floor(Math.random() * 300)).unref();
  });
}

const launchers = new Map<Proc, () => { args: string[]; env?: Record<string, string> }>();

function addProc(name: string, kind: Proc['kind'], command: (app: string) => { args: string[]; env?: Record<string, string> }): Proc {
  const p: Proc = { name, kind, app: name, starts: 0, kills: 0, rssMb: [] };
  procs.push(p);
  const launch = () => command(p.app);
  launchers.set(p, launch);
  start(p, launch);
  return p;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- cluster

interface Setup {
  provider: LocalCluster;
  subscriber: LocalCluster;
  rootUrl: string;
  leafUrls: string[];
  /** What the processes connect to (through the proxies in cut runs). */
  viaProvider: FaultProxy;
  viaSubscriber: FaultProxy;
  password: string;
}

const withDb = (url: string, db: string, host?: { port: number }, app?: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  if (host) u.port = String(host.port);
  if (app) u.searchParams.set('application_name', app);
  return u.toString();
};

async function exec(url: string, text: string, params: unknown[] = []): Promise<pg.QueryResultRow[]> {
  const db = await connect(url, { serverDefaults: true });
  try {
    return (await db.query(text, params)).rows;
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function cmd(config: NodeConfig, command: string, args: string[] = [], options = {}): Promise<void> {
  const log: string[] = [];
  const r = await runCommand({ config, log: (l, m) => log.push(`${l} ${m}`), verbose: false }, command, args, options);
  if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${log.join('; ')}`);
}

async function setup(): Promise<Setup> {
  const settings = { max_connections: '300' };
  const [provider, subscriber] = await Promise.all([
    startLocalCluster(`faults-${process.pid}-provider`, { settings }),
    startLocalCluster(`faults-${process.pid}-subscriber`, { settings }),
  ]);
  for (const [server, dbs] of [[provider, ['f_root']], [subscriber, ['f_leaf1', 'f_leaf2']]] as const) {
    for (const d of dbs) await exec(server.url, `create database ${d}`);
  }
  const rootUrl = withDb(provider.url, 'f_root');
  const leafUrls = ['f_leaf1', 'f_leaf2'].map((d) => withDb(subscriber.url, d));
  await exec(rootUrl, `${tablesDdl}
    insert into acct select g, nextval('ver_seq'), 0, 'seed' from generate_series(1, 5000) g;
    insert into item select g, nextval('ver_seq'), repeat('p', 40) from generate_series(1, 150000) g;`);
  for (const u of leafUrls) await exec(u, tablesDdl + auditDdl);
  const root: NodeConfig = { jobName: 'root', db: rootUrl, queueName: QUEUE, settings: {} };
  await cmd(root, 'create-root', ['root']);
  await cmd(root, 'add-table', ['acct', 'item']);
  await cmd(root, 'add-seq', ['ver_seq']);
  // Rotation every few seconds, so that kills land in it too.
  await exec(rootUrl, `select pgq.set_queue_config($1, 'rotation_period', '4 seconds')`, [QUEUE]);
  for (const [i, u] of leafUrls.entries()) {
    const leaf: NodeConfig = { jobName: `leaf${i + 1}`, db: u, queueName: QUEUE, settings: {} };
    await cmd(leaf, 'create-leaf', [`leaf${i + 1}`], { provider: rootUrl });
    await cmd(leaf, 'add-table', ['acct', 'item']);
    await cmd(leaf, 'add-seq', ['ver_seq']);
  }
  const viaProvider = new FaultProxy(provider.port);
  const viaSubscriber = new FaultProxy(subscriber.port);
  await Promise.all([viaProvider.start(), viaSubscriber.start()]);
  return { provider, subscriber, rootUrl, leafUrls, viaProvider, viaSubscriber, password: new URL(provider.url).password };
}

/** Every process, connected through the proxies. */
function startProcesses(s: Setup): void {
  const root = (app: string) => withDb(s.provider.url, 'f_root', s.viaProvider, app);
  const leaf = (i: number, app: string) => withDb(s.subscriber.url, `f_leaf${i}`, s.viaSubscriber, app);
  const daemonSettings = { retry_delay: '0.2', retry_max_delay: '2', loop_delay: '1' };
  const cli = (ini: string, command: string) => ({ args: ['bin/lambdiste.mjs', ini, command] });
  addProc('ticker', 'ticker', (app) => cli(iniPath(app, root(app), { ...daemonSettings, maint_period: '1' }), 'ticker'));
  for (const i of [1, 2]) {
    for (const w of ['a', 'b']) {
      addProc(`leaf${i}-worker-${w}`, 'worker', (app) =>
        cli(iniPath(app, leaf(i, app), { ...daemonSettings, provider_db: root(app), parallel_copies: '1' }), 'worker'));
    }
  }
  const nodes = (app: string) => JSON.stringify({
    nodes: [
      { name: 'root', type: 'root', queue: QUEUE, db: root(app) },
      { name: 'leaf1', type: 'leaf', queue: QUEUE, provider: 'root', db: leaf(1, app) },
      { name: 'leaf2', type: 'leaf', queue: QUEUE, provider: 'root', db: leaf(2, app) },
    ],
  });
  const fnEnv = (app: string) => ({
    LAMBDISTE_NODES: nodes(app), LAMBDISTE_INVOKER: 'in-process', LAMBDISTE_SAFETY_MS: '1000',
    LAMBDISTE_TICKER_IDLE_EXIT_MS: '0', LAMBDISTE_MAINT_PERIOD_MS: '1000',
    POWERTOOLS_METRICS_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  const child = join('bench', 'faults', 'lambda-child.ts');
  addProc('ticker-fn', 'ticker-fn', (app) => ({ args: ['--import', 'tsx', child, 'ticker'], env: fnEnv(app) }));
  addProc('leaf1-consumer-fn', 'consumer-fn', (app) => ({ args: ['--import', 'tsx', child, 'consumer', 'leaf1'], env: fnEnv(app) }));
}

// ---------------------------------------------------------------- load

interface Load {
  tx: number;
  failed: number;
  stop(): Promise<void>;
}

/**
 * The application: transactions at `tps` on a few connections of its own,
 * straight to the provider (not through the proxy), reconnecting when its
 * server restarts. Every row it writes gets a new version.
 */
function startLoad(rootUrl: string, tps: number): Load {
  const load: Load = { tx: 0, failed: 0, stop: async () => {} };
  let running = true;
  const lanes = Math.max(2, Math.ceil(tps / 100));
  const statements = [
    // Single rows and small sets, the bulk of an OLTP load.
    () => `update acct set ver = nextval('ver_seq'), bal = bal + 1 where id = 1 + floor(random() * 5000)::int`,
    () => `insert into acct values (nextval('id_seq'), nextval('ver_seq'), 0, 'new')`,
    () => `update acct set ver = nextval('ver_seq'), note = md5(random()::text) where id between ${(() => { const x = 1 + Math.floor(Math.random() * 4995); return `${x} and ${x + 4}`; })()}`,
    () => `delete from acct where id = ${3000 + Math.floor(Math.random() * 2000)} or id = (select max(id) from acct where id < 10000000)`,
    () => `update item set ver = nextval('ver_seq'), payload = md5(random()::text) where id = 1 + floor(random() * 150000)::int`,
    // Rarer: a key change, a statement over many rows, a larger transaction.
    () => Math.random() < 0.2 ? `update acct set id = id + 10000000, ver = nextval('ver_seq') where id = ${1000 + Math.floor(Math.random() * 1000)}` : 'select 1',
    () => Math.random() < 0.1 ? `update acct set ver = nextval('ver_seq'), bal = bal - 1 where id % 97 = floor(random() * 97)::int` : 'select 1',
    () => Math.random() < 0.02 ? `with r as (select floor(random() * 140)::int * 1000 as b) update item set ver = nextval('ver_seq') from r where id between r.b + 1 and r.b + 1000` : 'select 1',
  ];
  const lane = async () => {
    let db: pg.Client | null = null;
    const interval = (1000 * lanes) / tps;
    let next = performance.now();
    while (running) {
      try {
        db ??= await connect(rootUrl, { serverDefaults: true, applicationName: 'app' });
        const n = 1 + Math.floor(Math.random() * 3);
        const body = Array.from({ length: n }, () => statements[Math.floor(Math.random() * statements.length)]!()).join('; ');
        await db.query(`begin; ${body}; commit`);
        load.tx++;
      } catch {
        load.failed++;
        await db?.end().catch(() => undefined);
        db = null;
        await delay(100);
      }
      next += interval;
      const wait = next - performance.now();
      if (wait > 0) await delay(wait);
      else if (wait < -1000) next = performance.now();
    }
    await db?.end().catch(() => undefined);
  };
  const all = Array.from({ length: lanes }, lane);
  load.stop = async () => {
    running = false;
    await Promise.all(all);
  };
  return load;
}

// ---------------------------------------------------------------- checks

async function checksum(db: pg.Client, table: string): Promise<string> {
  const { rows } = await db.query(`select count(*) as n, md5(coalesce(string_agg(t::text, '|' order by t.id), '')) as h from ${table} t`);
  return `${rows[0].n}:${rows[0].h}`;
}

interface Checker {
  root: pg.Client;
  leaves: pg.Client[];
  auditSeen: number[];
}

async function openChecker(s: Setup): Promise<Checker> {
  const root = await connect(s.rootUrl, { serverDefaults: true, applicationName: 'checker' });
  const leaves = await Promise.all(s.leafUrls.map((u) => connect(u, { serverDefaults: true, applicationName: 'checker' })));
  return { root, leaves, auditSeen: leaves.map(() => 0) };
}

async function reopenChecker(s: Setup, c: Checker): Promise<void> {
  await Promise.all([c.root, ...c.leaves].map((d) => d.end().catch(() => undefined)));
  const fresh = await openChecker(s);
  c.root = fresh.root;
  c.leaves = fresh.leaves;
}

/** Whether every leaf equals the root now: tables ok, rows equal, sequence not behind. */
async function inSync(c: Checker): Promise<boolean> {
  // One query at a time on a client (pg warns of queries queued on a busy client).
  const want = [await checksum(c.root, 'acct'), await checksum(c.root, 'item')];
  const [{ v: rootSeq }] = (await c.root.query(`select last_value::bigint as v from ver_seq`)).rows as [{ v: string }];
  for (const leaf of c.leaves) {
    const { rows } = await leaf.query(`select count(*) filter (where tbl_merge_state is distinct from 'ok')::int as n from lambdiste.table_info`);
    if (rows[0].n > 0) return false;
    for (const [i, t] of ['acct', 'item'].entries()) if ((await checksum(leaf, t)) !== want[i]) return false;
    const [{ v }] = (await leaf.query(`select last_value::bigint as v from ver_seq`)).rows as [{ v: string }];
    if (BigInt(v) < BigInt(rootSeq)) return false;
  }
  return true;
}

/** Audit rows of one version written more than once by apply (not by COPY): changes applied twice. */
async function appliedTwice(c: Checker): Promise<{ twice: number; applies: number }> {
  let twice = 0;
  let applies = 0;
  for (const [i, leaf] of c.leaves.entries()) {
    const { rows: [r] } = await leaf.query(
      `select count(*)::int as n from public.audit a
        where a.id > $1 and not a.copy
          and exists (select 1 from public.audit b where b.tbl = a.tbl and b.k = a.k and b.ver = a.ver and not b.copy and b.id <> a.id)`,
      [c.auditSeen[i]]);
    twice += r!.n;
    const { rows: [m] } = await leaf.query(`select coalesce(max(id), 0)::bigint as m, count(*) filter (where id > $1 and not copy)::int as n from public.audit`, [c.auditSeen[i]]);
    applies += m!.n;
    c.auditSeen[i] = Number(m!.m);
  }
  return { twice, applies };
}

// ---------------------------------------------------------------- faults

/** What a process was doing when killed, from its backends' last statements on both servers. */
async function phaseOf(c: Checker, app: string): Promise<string> {
  const q = `select state, query from pg_stat_activity where application_name = $1 and state <> 'idle'`;
  const rows = [...(await c.root.query(q, [app])).rows, ...(await c.leaves[0]!.query(q, [app])).rows];
  const text = rows.map((r) => String(r.query)).join('\n');
  if (/maint_rotate|maint_operations|maint_retry|maint_tables/i.test(text)) return 'mid-rotation';
  if (/^\s*copy /im.test(text)) return 'mid-copy';
  if (/tbl_merge_state = 'catching-up'|tbl_merge_state = 'ok', tbl_copy_key/i.test(text)) return 'mid-handover';
  if (/seq_setval|seq_info|get_seq_list/i.test(text)) return 'mid-seq-sync';
  if (/ev_extra1 = /i.test(text)) return 'mid-catch-up';
  if (/lambdiste_batch|apply_staged|staged_tables|batch_event|get_batch|finish_batch|next_batch|lambdiste\.applied/i.test(text)) return 'mid-batch';
  if (/pgq\.ticker|force_tick/i.test(text)) return 'mid-tick';
  if (rows.length > 0) {
    if (unclassified.size < 50) unclassified.add(text.replace(/\s+/g, ' ').slice(0, 120));
    return 'mid-other';
  }
  return 'between rounds';
}
const unclassified = new Set<string>();

interface Figures {
  runs: Record<string, number>;
  kills: number;
  killsBy: Record<string, number>;
  phases: Record<string, number>;
  restarts: Record<string, number>;
  cuts: { drops: number; stalls: number; slows: number };
  resyncs: number;
  transactions: number;
  failedTransactions: number;
  applies: number;
  appliedTwice: number;
  lost: number;
  failedRuns: string[];
  convergeSeconds: number[];
  passwordsInLogs: number;
}

const fig: Figures = {
  runs: {}, kills: 0, killsBy: {}, phases: {}, restarts: {}, cuts: { drops: 0, stalls: 0, slows: 0 },
  resyncs: 0, transactions: 0, failedTransactions: 0, applies: 0, appliedTwice: 0, lost: 0,
  failedRuns: [], convergeSeconds: [], passwordsInLogs: 0,
};
const bump = (o: Record<string, number>, k: string, n = 1) => (o[k] = (o[k] ?? 0) + n);

/**
 * SIGKILL. `busy`: at the first moment within 2 s that the process is in
 * the middle of something (a statement or a transaction on either server),
 * else at the end of those 2 s.
 */
async function kill(c: Checker, p: Proc, busy = false): Promise<void> {
  if (!p.child) return;
  let phase = await phaseOf(c, p.app).catch(() => 'unknown');
  for (const end = Date.now() + 2000; busy && phase === 'between rounds' && Date.now() < end;) {
    await delay(Math.random() * 30);
    phase = await phaseOf(c, p.app).catch(() => 'unknown');
  }
  if (!p.child) return;
  p.child.kill('SIGKILL');
  p.kills++;
  fig.kills++;
  bump(fig.killsBy, p.kind);
  bump(fig.phases, phase);
}

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)]!;

async function resync(s: Setup, i: number): Promise<number> {
  await cmd({ jobName: `leaf${i + 1}`, db: s.leafUrls[i]!, queueName: QUEUE, settings: { provider_db: s.rootUrl } }, 'resync', [pick(['item', 'acct'])]);
  fig.resyncs++;
  return i;
}

type Mode = 'crash' | 'restart' | 'cut';

/** One run: load for runSeconds with faults of its mode, then the checks once the leaves have caught up. */
async function oneRun(s: Setup, c: Checker, mode: Mode, n: number, tps: number, seconds: number): Promise<void> {
  const load = startLoad(s.rootUrl, tps);
  const ms = seconds * 1000;
  const faults: Promise<void>[] = [];
  // A resync now and then, so that faults land in copies, catch-ups and handovers.
  const resynced = Math.random() < 0.35 ? Math.floor(Math.random() * 2) : null;
  if (resynced !== null) faults.push(resync(s, resynced).then(() => {}, (e) => say(`resync: ${e.message}`)));
  if (mode === 'crash') {
    const kills = 1 + Math.floor(Math.random() * 3);
    for (let k = 0; k < kills; k++) {
      faults.push((async () => {
        await delay(Math.random() * ms);
        // After a resync, mostly that leaf's processes (copy, catch-up, handover); else any.
        const mine = resynced === null ? [] : procs.filter((p) => p.name.startsWith(`leaf${resynced + 1}`));
        const victim = mine.length && Math.random() < 0.7 ? pick(mine) : pick(procs);
        await kill(c, victim, Math.random() < 0.7);
      })());
    }
  } else if (mode === 'restart') {
    faults.push((async () => {
      await delay(Math.random() * ms * 0.7);
      const which = pick(['provider', 'subscriber'] as const);
      await (which === 'provider' ? s.provider : s.subscriber).restart('immediate');
      bump(fig.restarts, which);
      // A kill too, sometimes: a process dies while its server is away.
      if (Math.random() < 0.3) await reopenChecker(s, c).then(() => kill(c, pick(procs))).catch(() => undefined);
    })());
  } else {
    faults.push((async () => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        await delay(200 + Math.random() * 600);
        const proxy = pick([s.viaProvider, s.viaSubscriber]);
        const what = Math.random();
        if (what < 0.4) fig.cuts.drops += proxy.drop(0.3 + Math.random() * 0.7);
        else if (what < 0.7) fig.cuts.stalls += proxy.stall(500 + Math.random() * 4000, 0.5);
        else fig.cuts.slows += proxy.slow(5 + Math.random() * 50, 2000, 0.5);
      }
    })());
  }
  await delay(ms);
  await Promise.all(faults);
  await load.stop();
  fig.transactions += load.tx;
  fig.failedTransactions += load.failed;
  bump(fig.runs, mode);

  const t0 = Date.now();
  for (;;) {
    try {
      if (await inSync(c)) break;
    } catch {
      await reopenChecker(s, c).catch(() => undefined);
    }
    if (Date.now() - t0 > 180_000) {
      fig.lost++;
      fig.failedRuns.push(`${mode} run ${n}: leaves not equal to the root after 180 s`);
      say(`FAILED ${mode} run ${n}: not in sync after 180 s (logs in ${outDir})`);
      throw new Error('not in sync');
    }
    await delay(300);
  }
  fig.convergeSeconds.push((Date.now() - t0) / 1000);
  const { twice, applies } = await appliedTwice(c);
  fig.applies += applies;
  fig.appliedTwice += twice;
  if (twice > 0) {
    fig.failedRuns.push(`${mode} run ${n}: ${twice} change(s) applied twice`);
    say(`FAILED ${mode} run ${n}: ${twice} change(s) applied twice (logs in ${outDir})`);
  }
}

// ---------------------------------------------------------------- soak

interface Sample {
  minute: number;
  tps: number;
  lagSeconds: (number | null)[];
  pendingEvents: (number | null)[];
  eventTablesMb: number;
  eventRows: number;
  rssMb: Record<string, number>;
}

async function sample(s: Setup, c: Checker, startedAt: number, txBefore: number, load: Load, windowMs: number): Promise<Sample> {
  const { rows: info } = await c.root.query(
    `select consumer_name, extract(epoch from lag)::float as lag, pending_events::bigint as pending from pgq.get_consumer_info($1)`, [QUEUE]);
  const byName = new Map(info.map((r) => [r.consumer_name, r]));
  const { rows: [size] } = await c.root.query(
    `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as bytes,
            coalesce(sum(c.reltuples) filter (where c.reltuples > 0), 0)::bigint as rows
       from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'pgq' and c.relname ~ '^event_[0-9]+_[0-9]+$'`);
  const rss: Record<string, number> = {};
  for (const p of procs) if (p.child?.pid) rss[p.name] = Math.round(rssMb(p.child.pid));
  return {
    minute: Math.round((Date.now() - startedAt) / 6000) / 10,
    tps: Math.round(((load.tx - txBefore) * 1000) / windowMs),
    lagSeconds: ['leaf1', 'leaf2'].map((l) => (byName.get(l) ? Math.round(Number(byName.get(l)!.lag) * 10) / 10 : null)),
    pendingEvents: ['leaf1', 'leaf2'].map((l) => (byName.get(l) ? Number(byName.get(l)!.pending) : null)),
    eventTablesMb: Math.round(Number(size!.bytes) / 2 ** 20),
    eventRows: Number(size!.rows),
    rssMb: rss,
  };
}

async function soak(s: Setup, c: Checker): Promise<Sample[]> {
  const samples: Sample[] = [];
  const startedAt = Date.now();
  const load = startLoad(s.rootUrl, rate);
  let stop = false;
  // Faults every 20 to 60 s: a kill (most often), a server restart, a burst of cuts.
  const faults = (async () => {
    while (!stop) {
      await delay(20_000 + Math.random() * 40_000);
      if (stop) break;
      const what = Math.random();
      try {
        if (what < 0.6) await kill(c, pick(procs));
        else if (what < 0.8) {
          const which = pick(['provider', 'subscriber'] as const);
          await (which === 'provider' ? s.provider : s.subscriber).restart('immediate');
          bump(fig.restarts, which);
          await reopenChecker(s, c);
        } else {
          fig.cuts.drops += pick([s.viaProvider, s.viaSubscriber]).drop(0.5);
        }
        if (Math.random() < 0.2) await resync(s, Math.floor(Math.random() * 2));
      } catch (e) {
        say(`fault: ${(e as Error).message}`);
        await reopenChecker(s, c).catch(() => undefined);
      }
    }
  })();
  let txBefore = 0;
  const every = 30_000;
  while (Date.now() - startedAt < soakMs) {
    await delay(Math.min(every, soakMs - (Date.now() - startedAt)));
    try {
      const smp = await sample(s, c, startedAt, txBefore, load, every);
      txBefore = load.tx;
      samples.push(smp);
      say(`soak ${smp.minute} min: ${smp.tps} tx/s, lag ${smp.lagSeconds.join('/')} s, pending ${smp.pendingEvents.join('/')}, event tables ${smp.eventTablesMb} MB, RSS ${Object.values(smp.rssMb).join('/')} MB`);
    } catch (e) {
      say(`sample: ${(e as Error).message}`);
      await reopenChecker(s, c).catch(() => undefined);
    }
  }
  stop = true;
  await faults;
  await load.stop();
  fig.transactions += load.tx;
  fig.failedTransactions += load.failed;
  bump(fig.runs, 'soak');
  const t0 = Date.now();
  for (;;) {
    try {
      if (await inSync(c)) break;
    } catch {
      await reopenChecker(s, c).catch(() => undefined);
    }
    if (Date.now() - t0 > 600_000) {
      fig.lost++;
      fig.failedRuns.push('soak: leaves not equal to the root 10 minutes after the load');
      break;
    }
    await delay(1000);
  }
  fig.convergeSeconds.push((Date.now() - t0) / 1000);
  const { twice, applies } = await appliedTwice(c);
  fig.applies += applies;
  fig.appliedTwice += twice;
  return samples;
}

// ---------------------------------------------------------------- main

const started = Date.now();
say(`fault harness: ${soakMs ? `soak ${soakMs / 60_000} min at ${rate} tx/s` : `${crashRuns} crash, ${restartRuns} restart, ${cutRuns} cut runs of ${runSeconds} s at ${rate} tx/s`}; logs in ${outDir}`);
const s = await setup();
let samples: Sample[] = [];
let exitCode = 0;
try {
  startProcesses(s);
  const c = await openChecker(s);
  // The first copy of both tables, before any fault.
  for (let t0 = Date.now(); !(await inSync(c)); await delay(500)) {
    if (Date.now() - t0 > 300_000) throw new Error('the leaves never caught up with the root');
  }
  say('leaves in sync; faults begin');
  try {
    if (soakMs) samples = await soak(s, c);
    const plan: Mode[] = [
      ...Array<Mode>(crashRuns).fill('crash'),
      ...Array<Mode>(restartRuns).fill('restart'),
      ...Array<Mode>(cutRuns).fill('cut'),
    ];
    for (const [i, mode] of plan.entries()) {
      await oneRun(s, c, mode, i + 1, rate, runSeconds);
      if ((i + 1) % 10 === 0) {
        say(`${i + 1}/${plan.length} runs: ${fig.kills} kills, ${Object.values(fig.restarts).reduce((a, b) => a + b, 0)} restarts, ` +
          `${fig.cuts.drops + fig.cuts.stalls + fig.cuts.slows} cuts, ${fig.transactions} tx, applied twice ${fig.appliedTwice}`);
      }
    }
  } catch (e) {
    exitCode = 1;
    say(`stopped: ${(e as Error).message}`);
  }
  await Promise.all([c.root, ...c.leaves].map((d) => d.end().catch(() => undefined)));
} finally {
  stopping = true;
  for (const p of procs) p.child?.kill('SIGKILL');
  await delay(500);
  // Passwords must never reach a log.
  for (const p of procs) {
    try {
      const text = readFileSync(join(outDir, `${p.name}.log`), 'utf8');
      fig.passwordsInLogs += text.split(s.password).length - 1;
    } catch {
      /* never started */
    }
  }
  await Promise.all([s.viaProvider.stop(), s.viaSubscriber.stop()]);
  await Promise.all([s.provider.stop(), s.subscriber.stop()]);
}

const minutes = (Date.now() - started) / 60_000;
const total = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);
const conv = [...fig.convergeSeconds].sort((a, b) => a - b);
const summary = {
  command: `npm run faults -- ${process.argv.slice(2).join(' ')}`.trim(),
  at: new Date().toISOString(),
  minutes: Math.round(minutes * 10) / 10,
  rate,
  ...fig,
  restartsTotal: total(fig.restarts),
  cutsTotal: fig.cuts.drops + fig.cuts.stalls + fig.cuts.slows,
  processStarts: Object.fromEntries(procs.map((p) => [p.name, p.starts])),
  convergeMedianSeconds: conv[conv.length >> 1] ?? null,
  convergeMaxSeconds: conv.at(-1) ?? null,
  unclassified: [...unclassified],
  proxyConnections: s.viaProvider.stats.connections + s.viaSubscriber.stats.connections,
  samples,
};
mkdirSync(join(repo, 'bench', 'results'), { recursive: true });
writeFileSync(join(repo, 'bench', 'results', soakMs ? 'faults-soak.json' : 'faults.json'), JSON.stringify(summary, null, 2) + '\n');
say(`done in ${summary.minutes} min: runs ${JSON.stringify(fig.runs)}, kills ${fig.kills} ${JSON.stringify(fig.killsBy)}, phases ${JSON.stringify(fig.phases)}`);
say(`restarts ${JSON.stringify(fig.restarts)}, cuts ${JSON.stringify(fig.cuts)}, resyncs ${fig.resyncs}, tx ${fig.transactions} (${fig.failedTransactions} failed in the app)`);
say(`applies audited ${fig.applies}; changes lost: ${fig.lost}; applied twice: ${fig.appliedTwice}; passwords in logs: ${fig.passwordsInLogs}`);
if (fig.failedRuns.length) say(`failed runs:\n  ${fig.failedRuns.join('\n  ')}`);
process.exit(exitCode || fig.lost || fig.appliedTwice || fig.passwordsInLogs ? 1 : 0);
