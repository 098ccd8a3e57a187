/**
 * Figure 1's measurement, shared by bench/capture.ts (embedded server) and
 * bench/londiste.ts (Londiste 3 and Lambdiste side by side): pgbench
 * single-row INSERT and UPDATE transactions (1 and 2 clients) on a captured
 * table against an identical plain one, in alternating order with a
 * CHECKPOINT before each run; then bulk statements (one INSERT of 10,000
 * rows, one UPDATE of 10,000 rows), each table first in turn.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../lib/db/connect.ts';
import { exec, quick, reps, stat, type Stat } from './common.ts';

const seconds = quick ? 2 : 15;
export const captureRows = 200_000;

const ddl = (t: string) => `create table public.${t} (userid int primary key, name text, email text, crt_time timestamptz, mod_time timestamptz)`;

/** Creates and fills the tables (the same rows in each). */
export async function captureTables(url: string, tables: string[]): Promise<void> {
  const [first, ...rest] = tables;
  await exec(url, `${tables.map(ddl).join('; ')};
    insert into ${first} select g, 'name' || g, g || '@x.org', now(), null from generate_series(1, ${captureRows}) g;
    ${rest.map((t) => `insert into ${t} select * from ${first};`).join('\n')}`);
}

export interface CaptureFigures {
  /** `insert_1`, `update_2`, ...: TPS without and with capture, and their ratio. */
  singleRow: Record<string, { without: Stat; with: Stat; ratio: Stat }>;
  /** Per bulk statement and captured table: time with / time without. */
  bulk: Record<string, Record<string, Stat>>;
}

/** `captured` and `bulkTables` are compared with `plain`; pgbench runs on `captured` only. */
export async function measureCapture(url: string, plain: string, captured: string, bulkTables: string[]): Promise<CaptureFigures> {
  const u = new URL(url);
  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-pgbench-'));
  const script = (name: string, sql: string) => {
    const f = join(dir, name);
    writeFileSync(f, sql);
    return f;
  };
  const scripts: Record<string, (t: string) => string> = {
    insert: (t) => script(`ins_${t}.sql`, `\\set id random(${captureRows + 1}, 2000000000)\ninsert into ${t} values (:id, 'n', 'e', now(), null) on conflict do nothing;\n`),
    update: (t) => script(`upd_${t}.sql`, `\\set id random(1, ${captureRows})\nupdate ${t} set mod_time = now(), name = 'm' || :id where userid = :id;\n`),
  };
  const pgbench = (file: string, clients: number): number => {
    const out = execFileSync('pgbench', ['-n', '-f', file, '-c', String(clients), '-j', String(clients), '-T', String(seconds),
      '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), u.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) }, encoding: 'utf8' });
    const m = /tps = ([\d.]+)/.exec(out);
    if (!m) throw new Error(`pgbench output without tps:\n${out}`);
    return Number(m[1]);
  };

  const figures: CaptureFigures = { singleRow: {}, bulk: {} };
  for (const kind of ['insert', 'update']) {
    for (const clients of [1, 2]) {
      const without: number[] = [];
      const withCapture: number[] = [];
      const run = async (t: string) => {
        await exec(url, 'checkpoint');
        return pgbench(scripts[kind]!(t), clients);
      };
      for (let i = 0; i < reps; i++) {
        // Alternate which goes first: the machine's fsync latency drifts.
        const tps: Record<string, number> = {};
        for (const t of i % 2 === 0 ? [plain, captured] : [captured, plain]) tps[t] = await run(t);
        without.push(tps[plain]!);
        withCapture.push(tps[captured]!);
      }
      figures.singleRow[`${kind}_${clients}`] = {
        without: stat(without), with: stat(withCapture), ratio: stat(withCapture.map((w, i) => w / without[i]!)),
      };
    }
  }

  const db = await connect(url, { serverDefaults: true });
  try {
    const timed = async (sql: string) => {
      const t = performance.now();
      await db.query(sql);
      return performance.now() - t;
    };
    const tables = [plain, ...bulkTables];
    for (const [label, sql] of [
      ['bulk INSERT of 10,000 rows', (t: string) => `insert into ${t} select g, 'b', 'b', now(), null from generate_series(2100000001, 2100010000) g`],
      ['bulk UPDATE of 10,000 rows', (t: string) => `update ${t} set mod_time = now() where userid between 1 and 10000`],
    ] as const) {
      const ratios: Record<string, number[]> = Object.fromEntries(bulkTables.map((t) => [t, []]));
      // Short statements: more repetitions, each table first in turn.
      for (let i = 0; i < Math.max(reps, 3) * tables.length; i++) {
        const ms: Record<string, number> = {};
        const k = i % tables.length;
        for (const t of [...tables.slice(k), ...tables.slice(0, k)]) ms[t] = await timed(sql(t));
        await db.query(`${tables.map((t) => `delete from ${t} where userid > 2100000000`).join('; ')}; checkpoint`);
        for (const t of bulkTables) ratios[t]!.push(ms[t]! / ms[plain]!);
      }
      figures.bulk[label] = Object.fromEntries(bulkTables.map((t) => [t, stat(ratios[t]!)]));
    }
  } finally {
    await db.end();
  }
  return figures;
}
