import type pg from 'pg';
import { atSyncPoint, type SyncPointOptions } from '../replica/sync-point.ts';
import { CommandError, openClient, requireNode, withNodeSession, type NodeSession } from './session.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';

/** What compare reads of a table on one side: totals, and per key bucket. */
export interface TableSums {
  rows: bigint;
  checksum: bigint;
  buckets: Map<number, { rows: bigint; checksum: bigint }>;
}

/** How a table is compared: the provider's columns, in its order, and its key. */
export interface TableShape {
  table: string;
  columns: string[];
  key: string[];
  buckets: number;
}

/** Rows per key bucket aimed at: repair reads back only the buckets that differ. */
const ROWS_PER_BUCKET = 5000;
const MAX_BUCKETS = 4096;

/**
 * The tables a leaf's compare or repair works on: those named (canonical
 * names), each replicated here and `ok`, or every `ok` table when none is
 * named. Any name that does not fit is a CommandError before anything is done.
 */
export async function tablesToCheck(s: NodeSession, args: string[]): Promise<string[]> {
  const { rows } = await s.db.query('select table_name, merge_state from lambdiste.get_table_list($1)', [s.queue]);
  const state = new Map(rows.map((r) => [r.table_name as string, r.merge_state as string | null]));
  if (args.length === 0) return [...state].filter(([, m]) => m === 'ok').map(([t]) => t).sort();
  const out: string[] = [];
  for (const name of args) {
    let canon: string;
    try {
      canon = (await s.db.query('select lambdiste.canonical_name($1) as n', [name])).rows[0].n;
    } catch (err) {
      throw new CommandError((err as Error).message);
    }
    if (!state.has(canon)) throw new CommandError(`Table not replicated on this node: ${canon}`);
    if (state.get(canon) !== 'ok') throw new CommandError(`Table ${canon} is not in sync yet (merge_state ${state.get(canon) ?? 'None'})`);
    if (!out.includes(canon)) out.push(canon);
  }
  return out;
}

/** The table's shape on the provider; the subscriber must have every provider column. */
export async function tableShape(provider: pg.ClientBase, subscriber: pg.ClientBase, table: string): Promise<TableShape> {
  const columnsOf = async (db: pg.ClientBase) => (await db.query(
    `select attname from pg_attribute where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`, [table],
  )).rows.map((r) => r.attname as string);
  const columns = await columnsOf(provider);
  const theirs = await columnsOf(subscriber);
  const { rows: [p] } = await provider.query(
    'select lambdiste.primary_key($1::regclass) as k, (select greatest(reltuples, 0)::float8 from pg_class where oid = $1::regclass) as n',
    [table],
  );
  const key = p.k as string[] | null;
  const est = Number(p.n);
  if (!key) throw new CommandError(`Primary key missing on table: ${table}`);
  const lacking = columns.filter((c) => !theirs.includes(c));
  if (lacking.length) throw new CommandError(`${table}: the subscriber has no column ${lacking.join(', ')}`);
  let buckets = 1;
  while (buckets < MAX_BUCKETS && buckets * ROWS_PER_BUCKET < est) buckets *= 2;
  return { table, columns, key, buckets };
}

/** A table's sums in the transaction open on `db` (lambdiste.table_checksum, computed there). */
export async function tableSums(db: pg.ClientBase, shape: TableShape): Promise<TableSums> {
  const { rows } = await db.query(
    'select bucket, row_count, checksum from lambdiste.table_checksum($1::regclass, $2, $3, $4)',
    [shape.table, shape.columns, shape.key, shape.buckets],
  );
  const out: TableSums = { rows: 0n, checksum: 0n, buckets: new Map() };
  for (const r of rows) {
    const b = { rows: BigInt(r.row_count), checksum: BigInt(r.checksum) };
    out.buckets.set(Number(r.bucket), b);
    out.rows += b.rows;
    out.checksum += b.checksum;
  }
  // One 64-bit figure, whatever the number of rows (as a signed bigint, as PostgreSQL would print it).
  out.checksum = BigInt.asIntN(64, out.checksum);
  return out;
}

/** Buckets whose rows or checksum differ. */
export function differingBuckets(a: TableSums, b: TableSums): number[] {
  const keys = new Set([...a.buckets.keys(), ...b.buckets.keys()]);
  return [...keys].filter((k) => {
    const x = a.buckets.get(k);
    const y = b.buckets.get(k);
    return x?.rows !== y?.rows || x?.checksum !== y?.checksum;
  }).sort((x, y) => x - y);
}

export function syncPointOptions(ctx: CommandContext, s: NodeSession, providerUrl: string): SyncPointOptions {
  const node = requireNode(s, 'leaf');
  return {
    queue: s.queue,
    consumer: node.consumer ?? node.name,
    openProvider: () => openClient(ctx, providerUrl),
    openSubscriber: () => openClient(ctx, ctx.config.db),
    subscriber: s.db,
    log: (m) => ctx.log('INFO', m),
    signal: ctx.signal,
  };
}

export function providerUrlOf(ctx: CommandContext, s: NodeSession): string {
  const url = ctx.config.settings.provider_db ?? s.node?.providerUrl;
  if (!url) throw new CommandError('This node has no provider');
  return url;
}

/**
 * Reads `table` on both sides at one stream position (lib/replica/sync-point.ts):
 * the subscriber in a repeatable-read snapshot taken at the tick, so that
 * the consumer may go on while both sides are counted, in parallel.
 */
async function sumsAtSyncPoint(ctx: CommandContext, s: NodeSession, providerUrl: string, table: string) {
  return atSyncPoint(syncPointOptions(ctx, s, providerUrl), table, async (p) => {
    ctx.log('INFO', `Counting ${table}`);
    const shape = await tableShape(p.provider, s.db, table);
    await s.db.query('begin isolation level repeatable read read only');
    try {
      await s.db.query('select 1');
      await p.release();
      const [src, dst] = await Promise.all([tableSums(p.provider, shape), tableSums(s.db, shape)]);
      return { shape, src, dst, tick: p.tick };
    } finally {
      await s.db.query('rollback').catch(() => undefined);
    }
  });
}

const describe = (t: TableSums) => `rows=${t.rows}, checksum=${t.checksum}`;

/**
 * compare [TABLE...] (leaf): each table's row count and checksum on the
 * provider and here, at the same position of the event stream, so that a
 * table written all the while compares exactly. One line per table; exit
 * code 1 when any differs.
 */
export async function compare(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    requireNode(s, 'leaf');
    const providerUrl = providerUrlOf(ctx, s);
    const tables = await tablesToCheck(s, args);
    const lines: string[] = [];
    let differ = 0;
    for (const table of tables) {
      const { src, dst } = await sumsAtSyncPoint(ctx, s, providerUrl, table);
      ctx.log('INFO', `srcdb: ${src.rows} rows, checksum=${src.checksum}`);
      ctx.log('INFO', `dstdb: ${dst.rows} rows, checksum=${dst.checksum}`);
      if (src.rows === dst.rows && src.checksum === dst.checksum) {
        lines.push(`${table}: ok (${describe(src)})`);
      } else {
        differ++;
        ctx.log('WARNING', `${table}: Not in sync`);
        lines.push(`${table}: differs (srcdb ${describe(src)}; dstdb ${describe(dst)})`);
      }
    }
    if (differ) ctx.log('ERROR', `${differ} of ${tables.length} table(s) differ`);
    return { exitCode: differ ? 1 : 0, tables: [], lines };
  });
}

/** The settings repair's statements are written in (lambdiste.repair_statements) and run in. */
const REPAIR_SETTINGS = `set local extra_float_digits = 3; set local DateStyle = 'ISO, YMD'; set local IntervalStyle = postgres;
  set local TimeZone = 'UTC'; set local lc_monetary = 'C'; set local bytea_output = hex; set local session_replication_role = replica`;

async function rowHashes(db: pg.ClientBase, shape: TableShape, buckets: number[]): Promise<Map<string, string>> {
  const { rows } = await db.query(
    'select key_json, row_md5 from lambdiste.table_row_hashes($1::regclass, $2, $3, $4, $5)',
    [shape.table, shape.columns, shape.key, shape.buckets, buckets],
  );
  return new Map(rows.map((r) => [r.key_json as string, r.row_md5 as string]));
}

async function statements(db: pg.ClientBase, shape: TableShape, keys: string[], kind: 'insert' | 'update' | 'delete'): Promise<string[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query('select s from lambdiste.repair_statements($1::regclass, $2, $3, $4, $5) s', [
    shape.table, shape.columns, shape.key, keys, kind,
  ]);
  return rows.map((r) => r.s as string);
}

/**
 * repair [TABLE...] [--dry-run] (leaf): at one stream position, as
 * compare, finds the rows that differ by key in the key buckets whose
 * checksums differ (missing here, extra here, changed) and fixes them
 * here: deletes, updates, inserts, in one transaction, while the
 * consumer's run lock keeps the subscriber at that position. Prints the
 * statements it ran (with --dry-run, only prints them).
 */
export async function repair(ctx: CommandContext, args: string[], options: CommandOptions): Promise<CommandResult> {
  const dryRun = Boolean(options.dryRun);
  return withNodeSession(ctx, async (s) => {
    requireNode(s, 'leaf');
    const providerUrl = providerUrlOf(ctx, s);
    const tables = await tablesToCheck(s, args);
    const lines: string[] = [];
    for (const table of tables) {
      await atSyncPoint(syncPointOptions(ctx, s, providerUrl), table, async (p) => {
        ctx.log('INFO', `Checking ${table}`);
        const shape = await tableShape(p.provider, s.db, table);
        const [src, dst] = await Promise.all([tableSums(p.provider, shape), tableSums(s.db, shape)]);
        ctx.log('INFO', `srcdb: ${src.rows} rows, dstdb: ${dst.rows} rows`);
        const buckets = differingBuckets(src, dst);
        if (buckets.length === 0) {
          ctx.log('INFO', `${table}: in sync`);
          if (!dryRun) lines.push(`${table}: ok (${describe(src)})`);
          return;
        }
        const [theirs, ours] = await Promise.all([rowHashes(p.provider, shape, buckets), rowHashes(s.db, shape, buckets)]);
        const missing = [...theirs.keys()].filter((k) => !ours.has(k));
        const extra = [...ours.keys()].filter((k) => !theirs.has(k));
        const changed = [...theirs].filter(([k, h]) => ours.has(k) && ours.get(k) !== h).map(([k]) => k);
        ctx.log('INFO', `${table}: ${missing.length} missing, ${extra.length} extra, ${changed.length} changed row(s)`);
        const fixes = [
          ...(await statements(s.db, shape, extra, 'delete')),
          ...(await statements(p.provider, shape, changed, 'update')),
          ...(await statements(p.provider, shape, missing, 'insert')),
        ];
        lines.push(...fixes);
        if (dryRun) return;
        await s.db.query(`begin; ${REPAIR_SETTINGS}`);
        try {
          for (let i = 0; i < fixes.length; i += 500) await s.db.query(fixes.slice(i, i + 500).join('\n'));
          await s.db.query('commit');
        } catch (err) {
          await s.db.query('rollback').catch(() => undefined);
          throw new CommandError(`${table}: repair failed, nothing changed: ${(err as Error).message}`);
        }
        ctx.log('INFO', `Fixed ${table}`);
        lines.push(`${table}: repaired (${missing.length} inserted, ${changed.length} updated, ${extra.length} deleted)`);
      });
    }
    return { exitCode: 0, tables: [], lines };
  });
}
