import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { inSettingsTransaction, SET_LOCAL_SETTINGS } from '../db/connect.ts';

/**
 * The initial copy of one table, in primary-key chunks. Each chunk is one
 * COPY ... TO STDOUT on the provider streamed into COPY ... FROM STDIN on
 * the subscriber, in one subscriber transaction that also records how far
 * the copy got, so a copy stopped anywhere (end of a Lambda invocation,
 * crash) resumes at the next chunk with nothing lost or doubled. Chunks
 * need no common snapshot: the changes made meanwhile are replayed after
 * the copy (see copy-work.ts).
 */
export interface CopyPlan {
  /** Canonical table name (schema.name, quoted as needed). */
  table: string;
  /** Primary key columns on the provider, quoted, with their types and their index's operators. */
  key: KeyColumn[];
  /** Columns copied: on both sides and not generated on the subscriber (quoted). */
  columns: string[];
  /** The same, as stored (unquoted). */
  columnNames: string[];
  /** Provider columns the subscriber lacks (not copied). */
  missingOnSubscriber: string[];
  /** Subscriber columns the provider lacks (left to their defaults). */
  missingOnProvider: string[];
  /**
   * Chunks travel in COPY's binary format (faster, and independent of any
   * setting): the servers are of one major version and every column copied
   * has the same type on both sides, with binary input and output.
   */
  binary: boolean;
}

interface ColumnRow {
  name: string;
  raw: string;
  type: string;
  generated: string;
  /** The type (and its element type) has binary send and receive functions. */
  binary_io: boolean;
  major: number;
}

/** A key column and the operators of its index (lambdiste.key_operators): the key's own order, whatever the search_path. */
export interface KeyColumn {
  name: string;
  type: string;
  eq: string;
  lt: string;
  le: string;
  gt: string;
}

async function columnsOf(db: pg.ClientBase, table: string, side: string): Promise<ColumnRow[]> {
  // Type names as the fixed search_path shows them, whatever the session's.
  const { rows } = await inSettingsTransaction(db, () => db.query<ColumnRow>(
    `select quote_ident(a.attname) as name, a.attname as raw, format_type(a.atttypid, a.atttypmod) as type,
            a.attgenerated as generated,
            t.typsend <> 0 and t.typreceive <> 0 and coalesce(e.typsend <> 0 and e.typreceive <> 0, true)
              -- An empty one is sent in a form PostgreSQL 15 does not take back.
              and t.oid not in ('int2vector'::regtype, 'oidvector'::regtype) as binary_io,
            current_setting('server_version_num')::int / 10000 as major
       from pg_attribute a
       join pg_type t on t.oid = a.atttypid
       left join pg_type e on e.oid = t.typelem and t.typcategory = 'A'
      where a.attrelid = to_regclass($1) and a.attnum > 0 and not a.attisdropped order by a.attnum`,
    [table],
  ));
  if (rows.length === 0) throw new Error(`Table ${table} not found on ${side}`);
  return rows;
}

export async function describeCopy(provider: pg.ClientBase, subscriber: pg.ClientBase, table: string): Promise<CopyPlan> {
  const [pcols, scols] = await Promise.all([columnsOf(provider, table, 'provider'), columnsOf(subscriber, table, 'subscriber')]);
  const { rows: key } = await inSettingsTransaction(provider, () => provider.query<KeyColumn>(
    `select quote_ident(key_name) as name, key_type as type, eq, lt, le, gt
       from lambdiste.key_operators(to_regclass($1)) order by key_position`,
    [table],
  ));
  if (key.length === 0) throw new Error(`Primary key missing on table: ${table}`);
  const writable = new Set(scols.filter((c) => c.generated === '').map((c) => c.name));
  const onSubscriber = new Set(scols.map((c) => c.name));
  const onProvider = new Set(pcols.map((c) => c.name));
  const copied = pcols.filter((c) => writable.has(c.name));
  const subscriberType = new Map(scols.map((c) => [c.name, c]));
  const binary = pcols[0]!.major === scols[0]!.major
    && copied.every((c) => c.binary_io && subscriberType.get(c.name)!.binary_io && subscriberType.get(c.name)!.type === c.type);
  return {
    binary,
    table,
    key,
    columns: copied.map((c) => c.name),
    columnNames: copied.map((c) => c.raw),
    missingOnSubscriber: pcols.filter((c) => !onSubscriber.has(c.name)).map((c) => c.name),
    missingOnProvider: scols.filter((c) => !onProvider.has(c.name) && c.generated === '').map((c) => c.name),
  };
}

/** Empties the subscriber table before its first chunk, in the caller's transaction (not with skip-truncate). */
export async function prepareTarget(subscriber: pg.ClientBase, plan: CopyPlan, opts: { truncate: boolean }): Promise<void> {
  if (opts.truncate) {
    await subscriber.query(`${SET_LOCAL_SETTINGS}; set local session_replication_role = replica`);
    await subscriber.query(`truncate ${plan.table}`);
  }
}

/** Where a --skip-truncate chunk is staged before it is merged (a temporary table, dropped at commit). */
const STAGING = 'pg_temp.lambdiste_copy_chunk';

export interface ChunkOptions {
  /** Key of the last row copied so far (text values), or null to start. */
  afterKey: string[] | null;
  maxRows: number;
  /** --copy-condition: an SQL condition on the provider's rows (trusted admin input). */
  condition?: string;
  /** Keep rows already on the subscriber (skip-truncate): merge the chunk by key instead of inserting. */
  merge?: boolean;
  /** Records progress in the chunk's subscriber transaction. */
  saveProgress: (db: pg.ClientBase, lastKey: string[] | null, rows: number) => Promise<void>;
}

export interface ChunkResult {
  rows: number;
  lastKey: string[] | null;
  /** This was the last chunk. */
  done: boolean;
}

/**
 * The condition that a row's key comes after (`gt`) or not after (`le`)
 * the given key, in the key index's order: one row comparison when every
 * key operator lives in one schema (the index can serve it), else spelt
 * out column by column.
 */
export function keyCondition(db: pg.ClientBase, plan: CopyPlan, op: 'gt' | 'le', values: string[]): string {
  const col = (i: number) => `${plan.table}.${plan.key[i]!.name}`;
  const val = (i: number) => `${db.escapeLiteral(values[i]!)}::${plan.key[i]!.type}`;
  const ops = plan.key.map((k) => k[op]);
  if (ops.every((o) => o === ops[0])) {
    if (plan.key.length === 1) return `${col(0)} ${ops[0]} ${val(0)}`;
    return `row(${plan.key.map((_, i) => col(i)).join(', ')}) ${ops[0]} row(${plan.key.map((_, i) => val(i)).join(', ')})`;
  }
  // (a, b) > (x, y) is a > x or (a = x and b > y); (a, b) <= (x, y) is a < x or (a = x and b <= y).
  const last = plan.key.length - 1;
  const terms = plan.key.map((k, i) => {
    const before = plan.key.slice(0, i).map((p, j) => `${col(j)} ${p.eq} ${val(j)}`);
    const here = i === last ? `${col(i)} ${k[op]} ${val(i)}` : `${col(i)} ${op === 'gt' ? k.gt : k.lt} ${val(i)}`;
    return `(${[...before, here].join(' and ')})`;
  });
  return `(${terms.join(' or ')})`;
}

export async function copyChunk(provider: pg.ClientBase, subscriber: pg.ClientBase, plan: CopyPlan, opts: ChunkOptions): Promise<ChunkResult> {
  const conditions = [
    opts.afterKey ? keyCondition(provider, plan, 'gt', opts.afterKey) : null,
    opts.condition ? `(${opts.condition})` : null,
  ].filter(Boolean);
  const where = (extra: string | null) => {
    const all = [...conditions, extra].filter(Boolean);
    return all.length ? ` where ${all.join(' and ')}` : '';
  };
  // Qualified, so that it orders by the columns and not by the ::text output names.
  const orderBy = (dir: 'lt' | 'gt') => ` order by ${plan.key.map((k) => `${plan.table}.${k.name} using ${k[dir]}`).join(', ')}`;
  const order = orderBy('lt');

  // The chunk's last key, found on the primary key index without reading
  // rows; for the last chunk, the last key there is. Either way the
  // progress recorded is a real key, so a stop right after the last chunk
  // resumes past it and copies nothing twice.
  const keyQuery = (suffix: string) =>
    provider.query({
      text: `select ${plan.key.map((k) => `${k.name}::text`).join(', ')} from ${plan.table}${where(null)}${suffix}`,
      rowMode: 'array',
    });

  let rows = 0;
  // Both sides with the session settings (the text of values, and of keys,
  // must read back as the same values), through a pooler too.
  await provider.query(`begin isolation level repeatable read read only; ${SET_LOCAL_SETTINGS}`);
  await subscriber.query(`begin; ${SET_LOCAL_SETTINGS}; set local session_replication_role = replica`);
  try {
    let boundKey: string[] | null = (await keyQuery(`${order} offset ${Math.max(0, opts.maxRows - 1)} limit 1`)).rows[0] ?? null;
    let last = false;
    if (!boundKey) {
      last = true;
      boundKey = (await keyQuery(`${orderBy('gt')} limit 1`)).rows[0] ?? null;
    }
    const select = `select ${plan.columns.join(', ')} from ${plan.table}${where(boundKey ? keyCondition(provider, plan, 'le', boundKey) : 'false')}${order}`;
    // COPY writes identity columns as given; the merge states it (lambdiste.merge_copy_statement).
    const target = opts.merge ? STAGING : plan.table;
    if (opts.merge) {
      await subscriber.query(`create temp table lambdiste_copy_chunk (like ${plan.table}) on commit drop`);
    }
    const format = plan.binary ? ' (format binary)' : '';
    const sink = subscriber.query(copyFrom(`copy ${target} (${plan.columns.join(', ')}) from stdin${format}`));
    await pipeline(provider.query(copyTo(`copy (${select}) to stdout${format}`)), sink);
    await provider.query('commit');
    rows = Number(sink.rowCount ?? 0);
    if (opts.merge) {
      const { rows: merge } = await subscriber.query('select lambdiste.merge_copy_statement($1::regclass, $2, $3) as sql',
        [plan.table, STAGING, plan.columnNames]);
      await subscriber.query(merge[0].sql);
    }
    const lastKey = boundKey ?? opts.afterKey;
    await opts.saveProgress(subscriber, lastKey, rows);
    await subscriber.query('commit');
    return { rows, lastKey, done: last };
  } catch (err) {
    await provider.query('rollback').catch(() => undefined);
    await subscriber.query('rollback').catch(() => undefined);
    throw err;
  }
}
