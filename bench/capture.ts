/**
 * Figure 1, capture overhead on the provider: pgbench single-row INSERT and
 * UPDATE transactions (1 and 2 clients) on a replicated table against the
 * same table without the trigger, runs interleaved; and bulk statements
 * (one INSERT of 10,000 rows, one UPDATE of 10,000 rows).
 *   npm run bench:capture [-- --quick]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../lib/db/connect.ts';
import { startLocalCluster } from '../lib/db/embedded.ts';
import { cmd, exec, fmt, freshDb, quick, report, reps, stat } from './common.ts';

const seconds = quick ? 5 : 15;
const rows = 200_000;

const server = await startLocalCluster('bench-capture', { settings: { fsync: 'on', shared_buffers: '256MB', max_wal_size: '4GB' } });
try {
  const url = await freshDb(server, 'capture');
  const u = new URL(url);
  const ddl = (t: string) => `create table public.${t} (userid int primary key, name text, email text, crt_time timestamptz, mod_time timestamptz)`;
  await exec(url, `${ddl('plain')}; ${ddl('captured')}; ${ddl('captured_rows')};
    insert into plain select g, 'name' || g, g || '@x.org', now(), null from generate_series(1, ${rows}) g;
    insert into captured select * from plain;
    insert into captured_rows select * from plain;`);
  const root = { jobName: 'src', db: url, queueName: 'replika', settings: {} };
  await cmd(root, 'create-root', ['src']);
  await cmd(root, 'add-table', ['captured']);
  // The same, with one event per row change (Londiste's shape) for the bulk statements.
  await cmd(root, 'add-table', ['captured_rows'], { rowsPerEvent: 1 });
  // A consumer, as in production: events are kept until it reads them.
  await exec(url, `select pgq.register_consumer('replika', 'bench')`);

  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-pgbench-'));
  const script = (name: string, sql: string) => {
    const f = join(dir, name);
    writeFileSync(f, sql);
    return f;
  };
  const scripts: Record<string, (t: string) => string> = {
    insert: (t) => script(`ins_${t}.sql`, `\\set id random(${rows + 1}, 2000000000)\ninsert into ${t} values (:id, 'n', 'e', now(), null) on conflict do nothing;\n`),
    update: (t) => script(`upd_${t}.sql`, `\\set id random(1, ${rows})\nupdate ${t} set mod_time = now(), name = 'm' || :id where userid = :id;\n`),
  };
  const pgbench = (file: string, clients: number): number => {
    const out = execFileSync('pgbench', ['-n', '-f', file, '-c', String(clients), '-j', String(clients), '-T', String(seconds),
      '-h', u.hostname, '-p', u.port, '-U', decodeURIComponent(u.username), u.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, encoding: 'utf8' });
    const m = /tps = ([\d.]+)/.exec(out);
    if (!m) throw new Error(`pgbench output without tps:\n${out}`);
    return Number(m[1]);
  };

  const lines: [string, string][] = [];
  const figures: Record<string, unknown> = {};
  for (const kind of ['insert', 'update']) {
    for (const clients of [1, 2]) {
      const ratios: number[] = [];
      const without: number[] = [];
      const withCapture: number[] = [];
      const run = async (t: string) => {
        await exec(url, 'checkpoint');
        return pgbench(scripts[kind]!(t), clients);
      };
      for (let i = 0; i < reps; i++) {
        // Alternate which goes first: the machine's fsync latency drifts.
        const order = i % 2 === 0 ? ['plain', 'captured'] : ['captured', 'plain'];
        const tps: Record<string, number> = {};
        for (const t of order) tps[t] = await run(t);
        without.push(tps.plain!);
        withCapture.push(tps.captured!);
        ratios.push(tps.captured! / tps.plain!);
      }
      const r = stat(ratios);
      lines.push([`${kind}, ${clients} client(s): TPS without → with capture`, `${fmt(stat(without))} → ${fmt(stat(withCapture))}`]);
      lines.push([`${kind}, ${clients} client(s): ratio`, `${fmt(r, 2)}  target >= 0.90`]);
      figures[`${kind}_${clients}`] = { without: stat(without), with: stat(withCapture), ratio: r };
    }
  }

  const db = await connect(url);
  const timed = async (sql: string) => {
    const t = performance.now();
    await db.query(sql);
    return performance.now() - t;
  };
  for (const [label, sql] of [
    ['bulk INSERT of 10,000 rows', (t: string) => `insert into ${t} select g, 'b', 'b', now(), null from generate_series(2100000001, 2100010000) g`],
    ['bulk UPDATE of 10,000 rows', (t: string) => `update ${t} set mod_time = now() where userid between 1 and 10000`],
  ] as const) {
    const ratios: number[] = [];
    const perRow: number[] = [];
    // Short statements: more repetitions, each table first in turn.
    const tables = ['plain', 'captured', 'captured_rows'];
    for (let i = 0; i < Math.max(reps, 3) * 3; i++) {
      const ms: Record<string, number> = {};
      for (const t of [...tables.slice(i % 3), ...tables.slice(0, i % 3)]) ms[t] = await timed(sql(t));
      await db.query(`delete from plain where userid > 2100000000; delete from captured where userid > 2100000000;
        delete from captured_rows where userid > 2100000000; checkpoint`);
      ratios.push(ms.captured! / ms.plain!);
      perRow.push(ms.captured_rows! / ms.plain!);
    }
    lines.push([`${label}: time with / without capture`, `${fmt(stat(ratios), 2)}  target <= 2`]);
    lines.push([`  with one event per row (--rows-per-event=1)`, fmt(stat(perRow), 2)]);
    figures[label] = stat(ratios);
    figures[`${label}, one event per row`] = stat(perRow);
  }
  await db.end();
  report('capture', lines, figures);
} finally {
  await server.stop();
}
