/**
 * `npm start` / `lambdiste demo`: Lambdiste end to end on this machine.
 *
 * With nothing configured it starts three embedded PostgreSQL servers (a
 * provider and two subscribers), creates the seed's digoal_01 schema, sets
 * up replication through the admin function, runs the ticker and consumer
 * functions in this process (the same handlers Lambda runs), drives a
 * steady write load while showing throughput and lag, then stops the load,
 * waits for the subscribers to catch up and checks they equal the provider
 * table by table. Exit status 0 only if they do.
 *
 * With LAMBDISTE_NODES set (see lib/topology.ts) it runs the ticker and
 * consumers for those databases instead, until --duration or Ctrl-C.
 */
import { SingleBar } from 'cli-progress';
import type pg from 'pg';
import { connect } from '../db/connect.ts';
import { startLocalCluster, type LocalCluster } from '../db/embedded.ts';
import { getConsumerInfo, getQueueInfo } from '../queue/api.ts';
import type { InProcessInvoker } from '../invoke/in-process.ts';
import { demoSchema, demoSequences, demoTables, oneTransaction, seedRows } from './workload.ts';

export interface DemoOptions {
  /** Seconds of write load (default 60). */
  duration?: number;
  /** Target transactions per second (default 100). */
  rate?: number;
  /** Rows in user_info to start with (default 20000). */
  users?: number;
  out?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The demo's own SQL stands for the application's: the server's settings, its search_path. */
const app = { serverDefaults: true };

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = '/' + db;
  return u.toString();
}

// The Lambda runtime reads its logging and metrics settings when loaded:
// loaded only once runDemo has chosen them.
type Runtime = typeof import('../lambda/runtime.ts');
let rt: Runtime;
const closePools = async () => (await import('../lambda/pools.ts')).closePools();

/** The ticker function as AWS would run it: its schedule and its wakes (lib/lambda/local-schedule.ts). */
async function runTickerSchedule(onError: (e: Error) => void) {
  const { startTickerSchedule } = await import('../lambda/local-schedule.ts');
  const { nodeUrl } = await import('../topology.ts');
  const topology = await rt.getTopology();
  const roots = await Promise.all(topology.nodes.filter((n) => n.type === 'root').map(async (n) => ({ url: await nodeUrl(n), queue: n.queue })));
  return startTickerSchedule({ roots, onError });
}

async function admin(node: string, command: string, args: string[] = [], options = {}, out: (l: string) => void): Promise<void> {
  const { handler } = await import('../../functions/admin.ts');
  const r = (await handler({ node, command, args, options }, rt.localContext('admin', 120_000))) as {
    ok: boolean; error?: string; log?: { level: string; message: string }[];
  };
  for (const l of r.log ?? []) out(`[${node}] ${l.level} ${l.message}`);
  if (!r.ok) throw new Error(`${command} on ${node} failed: ${r.error ?? r.log?.map((l) => l.message).join('; ')}`);
}

async function checksum(db: pg.ClientBase, table: string): Promise<string> {
  await db.query(`set timezone = 'UTC'`);
  const { rows } = await db.query(`select count(*) as n, md5(coalesce(string_agg(_lambdiste_row_::text, '|' order by _lambdiste_row_::text), '')) as h from ${table} _lambdiste_row_`);
  return `${rows[0].n} rows, md5 ${rows[0].h}`;
}

export async function runDemo(options: DemoOptions = {}): Promise<number> {
  const out = options.out ?? ((l: string) => process.stdout.write(l + '\n'));
  const duration = options.duration ?? 60;
  const rate = options.rate ?? 100;
  const users = options.users ?? 20_000;
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  process.env.LAMBDISTE_SAFETY_MS ??= '1500';
  process.env.LAMBDISTE_INVOKER = 'in-process';
  rt = await import('../lambda/runtime.ts');
  rt.setInvoker(undefined);

  if (process.env.LAMBDISTE_NODES) return runConfigured(duration, out);

  out('Starting embedded PostgreSQL: provider and two subscribers ...');
  const clusters: LocalCluster[] = await Promise.all(['provider', 'dst1', 'dst2'].map((n) => startLocalCluster(`demo-${process.pid}-${n}`)));
  const stop = { stopped: false };
  let ticker: Awaited<ReturnType<typeof runTickerSchedule>> | undefined;
  try {
    const urls = await Promise.all(
      clusters.map(async (c) => {
        const db = await connect(c.url, app);
        await db.query('create database digoal_01');
        await db.end();
        return withDatabase(c.url, 'digoal_01');
      }),
    );
    const [providerUrl, dst1Url, dst2Url] = urls as [string, string, string];
    for (const url of urls) {
      const db = await connect(url, app);
      await db.query(demoSchema);
      await db.end();
    }
    const provider = await connect(providerUrl, app);
    await seedRows(provider, users);
    out(`Provider has ${users} users in digoal_01.user_info.`);

    process.env.LAMBDISTE_NODES = JSON.stringify({
      nodes: [
        { name: 'src_digoal_01', type: 'root', queue: 'replika', db: providerUrl },
        { name: 'dst1_digoal_01', type: 'leaf', queue: 'replika', provider: 'src_digoal_01', db: dst1Url },
        { name: 'dst2_digoal_01', type: 'leaf', queue: 'replika', provider: 'src_digoal_01', db: dst2Url },
      ],
    });
    rt.resetTopology();

    await admin('src_digoal_01', 'create-root', [], {}, out);
    await admin('src_digoal_01', 'add-table', demoTables, {}, out);
    await admin('src_digoal_01', 'add-seq', demoSequences, {}, out);
    for (const leaf of ['dst1_digoal_01', 'dst2_digoal_01']) {
      await admin(leaf, 'create-leaf', [], {}, out);
      await admin(leaf, 'add-table', demoTables, { maxParallelCopy: 2 }, out);
      await admin(leaf, 'add-seq', demoSequences, {}, out);
    }

    const errors: Error[] = [];
    ticker = await runTickerSchedule((e) => errors.push(e));

    // The load: `rate` transactions per second on two connections.
    const writers = await Promise.all([connect(providerUrl, app), connect(providerUrl, app)]);
    let done = 0;
    const loadUntil = Date.now() + duration * 1000;
    const load = Promise.all(
      writers.map(async (w, i) => {
        const perWriter = rate / writers.length;
        let next = Date.now() + i * (500 / rate);
        while (Date.now() < loadUntil) {
          await oneTransaction(w, users);
          done++;
          next += 1000 / perWriter;
          const wait = next - Date.now();
          if (wait > 0) await sleep(wait);
        }
      }),
    );

    const bar = new SingleBar({
      format: ' load {bar} {value}/{total}s | {tps} tx/s | lag dst1 {lag1}s dst2 {lag2}s | tables ok {ok}',
      hideCursor: true,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    });
    bar.start(duration, 0, { tps: 0, lag1: '-', lag2: '-', ok: '-' });
    const started = Date.now();
    let lastDone = 0;
    const leafDbs = [await connect(dst1Url), await connect(dst2Url)];
    while (Date.now() < loadUntil) {
      await sleep(1000);
      const info = new Map((await getConsumerInfo(provider, 'replika')).map((c) => [c.consumerName, c]));
      let ok = 0;
      for (const db of leafDbs) {
        const { rows } = await db.query(`select count(*) filter (where merge_state = 'ok') as n from lambdiste.get_table_list('replika')`);
        ok += Number(rows[0].n);
      }
      bar.update(Math.min(duration, Math.round((Date.now() - started) / 1000)), {
        tps: done - lastDone,
        lag1: info.get('dst1_digoal_01')?.lag.toFixed(2) ?? '-',
        lag2: info.get('dst2_digoal_01')?.lag.toFixed(2) ?? '-',
        ok: `${ok}/${demoTables.length * 2}`,
      });
      lastDone = done;
    }
    await load;
    bar.stop();
    out(`Load stopped after ${done} transactions. Waiting for the subscribers to catch up ...`);

    // Caught up: both consumers are at the newest tick, made after the last write, and every table is ok.
    // Any tick after `before` was taken after the last write.
    const target = (await getQueueInfo(provider, 'replika'))[0]!.lastTickId + 1;
    await provider.query(`select lambdiste.request_tick('replika')`);
    const catchUntil = Date.now() + 180_000;
    for (;;) {
      const info = await getConsumerInfo(provider, 'replika');
      const states = await Promise.all(
        leafDbs.map((db) => db.query(`select count(*) filter (where merge_state is distinct from 'ok') as n from lambdiste.get_table_list('replika')`)),
      );
      if (info.every((c) => c.lastTick >= target) && states.every((s) => Number(s.rows[0].n) === 0)) break;
      if (Date.now() > catchUntil) throw new Error('Subscribers did not catch up within 3 minutes');
      await sleep(250);
    }
    stop.stopped = true;
    await ticker.stop();
    await (rt.getInvoker() as InProcessInvoker).drain?.();

    let same = true;
    out('');
    out('Verification (provider vs subscribers):');
    for (const table of demoTables) {
      const want = await checksum(provider, table);
      for (const [i, db] of leafDbs.entries()) {
        const got = await checksum(db, table);
        const ok = got === want;
        same &&= ok;
        out(`  ${ok ? 'OK  ' : 'DIFF'} dst${i + 1} ${table}: ${got}${ok ? '' : ` (provider: ${want})`}`);
      }
    }
    for (const seq of demoSequences) {
      const { rows: p } = await provider.query(`select last_value from ${seq}`);
      for (const [i, db] of leafDbs.entries()) {
        const { rows: l } = await db.query(`select last_value from ${seq}`);
        const ok = Number(l[0].last_value) >= Number(p[0].last_value);
        same &&= ok;
        out(`  ${ok ? 'OK  ' : 'BACK'} dst${i + 1} ${seq}: ${l[0].last_value} (provider ${p[0].last_value})`);
      }
    }
    for (const e of [...errors, ...((rt.getInvoker() as InProcessInvoker).errors ?? [])]) out(`  error during the run: ${e.message}`);
    out(same ? 'Result: subscribers equal the provider.' : 'Result: MISMATCH.');
    await Promise.all([provider, ...writers, ...leafDbs].map((c) => c.end()));
    return same ? 0 : 1;
  } finally {
    stop.stopped = true;
    await ticker?.stop();
    await closePools();
    await Promise.all(clusters.map((c) => c.stop().catch(() => undefined)));
  }
}

/** Runs the ticker and consumers for the configured topology until the duration ends or Ctrl-C. */
async function runConfigured(duration: number, out: (l: string) => void): Promise<number> {
  const stop = { stopped: false };
  const errors: Error[] = [];
  const onSignal = () => { stop.stopped = true; };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  out(`Running the ticker and consumers for LAMBDISTE_NODES${Number.isFinite(duration) ? ` for ${duration}s` : ''} (Ctrl-C stops) ...`);
  const ticker = await runTickerSchedule((e) => { errors.push(e); out(`ticker: ${e.message}`); });
  const until = Date.now() + duration * 1000;
  while (!stop.stopped && Date.now() < until) await sleep(200);
  stop.stopped = true;
  await ticker.stop();
  await (rt.getInvoker() as InProcessInvoker).drain?.();
  await closePools();
  return errors.length ? 1 : 0;
}
