/**
 * Shared pieces of the benchmarks: embedded servers with production-like
 * durability, repetitions with median/min/max, and a JSON record per run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { runCommand } from '../lib/admin/index.ts';
import type { NodeConfig } from '../lib/admin/types.ts';
import { connect } from '../lib/db/connect.ts';
import { startLocalCluster, type LocalCluster } from '../lib/db/embedded.ts';

export const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
export const reps = Number(process.env.BENCH_REPS ?? 3);

/** Provider and subscriber servers, durable (fsync on) as in production. */
export async function servers(prefix: string): Promise<{ provider: LocalCluster; subscriber: LocalCluster; stop: () => Promise<void> }> {
  const settings = { fsync: 'on', shared_buffers: '256MB', max_wal_size: '4GB' };
  const [provider, subscriber] = await Promise.all([
    startLocalCluster(`bench-${prefix}-provider`, { settings }),
    startLocalCluster(`bench-${prefix}-subscriber`, { settings }),
  ]);
  return { provider, subscriber, stop: async () => void (await Promise.all([provider.stop(), subscriber.stop()])) };
}

let dbSeq = 0;
/** A fresh database on a server; returns its URL. */
export async function freshDb(server: LocalCluster, name = `b${++dbSeq}`): Promise<string> {
  const db = await connect(server.url, { serverDefaults: true });
  await db.query(`drop database if exists ${name}`);
  await db.query(`create database ${name}`);
  await db.end();
  const u = new URL(server.url);
  u.pathname = '/' + name;
  return u.toString();
}

export async function exec(url: string, sql: string): Promise<pg.QueryResult[]> {
  const db = await connect(url, { serverDefaults: true });
  try {
    const r = await db.query(sql);
    return Array.isArray(r) ? r : [r];
  } finally {
    await db.end();
  }
}

/** The physical limit: the table's rows moved by one COPY TO | COPY FROM pipe. Returns seconds. */
export async function copyPipe(fromUrl: string, toUrl: string, table: string, target = table): Promise<number> {
  const [src, dst] = [await connect(fromUrl, { serverDefaults: true }), await connect(toUrl, { serverDefaults: true })];
  try {
    const t0 = performance.now();
    await pipeline(src.query(copyTo(`copy ${table} to stdout`)), dst.query(copyFrom(`copy ${target} from stdin`)));
    return (performance.now() - t0) / 1000;
  } finally {
    await src.end();
    await dst.end();
  }
}

export interface Stat {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function stat(values: number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]!, runs: values };
}

export const fmt = (s: Stat, digits = 0) =>
  `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;

/** Prints a table and writes the figures to bench/results/<name>.json. */
export function report(name: string, rows: [string, string][], figures: Record<string, unknown>): void {
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(`\n${name}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(w)}  ${v}`);
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ name, at: new Date().toISOString(), quick, reps, figures }, null, 2) + '\n');
}

/** Runs an admin command quietly; throws if it fails. */
export async function cmd(config: NodeConfig, command: string, args: string[] = [], options = {}): Promise<void> {
  const log: string[] = [];
  const r = await runCommand({ config, log: (l, m) => log.push(`${l} ${m}`), verbose: false }, command, args, options);
  if (r.exitCode !== 0) throw new Error(`${command} failed: ${log.join('; ')}`);
}

/**
 * A root and a leaf replicating `tables` (created on both by `ddl`); the
 * leaf's tables are taken as already identical unless `copy`.
 */
export async function replicaPair(
  src: string, dst: string, tables: string[], opts: { copy?: boolean; maxParallelCopy?: number; rowsPerEvent?: number } = {},
) {
  const root: NodeConfig = { jobName: 'src', db: src, queueName: 'replika', settings: {} };
  const leaf: NodeConfig = { jobName: 'dst', db: dst, queueName: 'replika', settings: {} };
  await cmd(root, 'create-root', ['src']);
  await cmd(root, 'add-table', tables, opts.rowsPerEvent === undefined ? {} : { rowsPerEvent: opts.rowsPerEvent });
  await cmd(leaf, 'create-leaf', ['dst'], { provider: src });
  if (!opts.copy) await cmd(leaf, 'add-table', tables, { expectSync: true });
  return { root, leaf };
}

/** The machine's CPU time so far (all cores, busy and total jiffies), from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const n = fields.map(Number);
  const idle = n[3]! + (n[4] ?? 0); // idle + iowait
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/**
 * Measures how busy the whole machine's CPUs are over a span (servers,
 * Node and everything else): stop() gives the average number of cores busy.
 */
export function cpuMeter(): { stop(): number } {
  const start = cpuTimes();
  return {
    stop: () => {
      const end = cpuTimes();
      return ((end.busy - start.busy) / Math.max(end.total - start.total, 1)) * cpus().length;
    },
  };
}
