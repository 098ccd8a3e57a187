import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';

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
  /** Primary key columns on the provider, quoted, with their types. */
  key: { name: string; type: string }[];
  /** Columns copied: on both sides and not generated on the subscriber (quoted). */
  columns: string[];
  /** Provider columns the subscriber lacks (not copied). */
  missingOnSubscriber: string[];
  /** Subscriber columns the provider lacks (left to their defaults). */
  missingOnProvider: string[];
}

interface ColumnRow {
  name: string;
  type: string;
  generated: string;
}

async function columnsOf(db: pg.ClientBase, table: string, side: string): Promise<ColumnRow[]> {
  const { rows } = await db.query(
    `select quote_ident(attname) as name, format_type(atttypid, atttypmod) as type, attgenerated as generated
       from pg_attribute where attrelid = to_regclass($1) and attnum > 0 and not attisdropped order by attnum`,
    [table],
  );
  if (rows.length === 0) throw new Error(`Table ${table} not found on ${side}`);
  return rows;
}

export async function describeCopy(provider: pg.ClientBase, subscriber: pg.ClientBase, table: string): Promise<CopyPlan> {
  const [pcols, scols] = await Promise.all([columnsOf(provider, table, 'provider'), columnsOf(subscriber, table, 'subscriber')]);
  const { rows: key } = await provider.query(
    `select quote_ident(a.attname) as name, format_type(a.atttypid, a.atttypmod) as type
       from pg_index i
       cross join lateral unnest(i.indkey) with ordinality k(attnum, n)
       join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
      where i.indrelid = to_regclass($1) and i.indisprimary
      order by k.n`,
    [table],
  );
  if (key.length === 0) throw new Error(`Primary key missing on table: ${table}`);
  const writable = new Set(scols.filter((c) => c.generated === '').map((c) => c.name));
  const onSubscriber = new Set(scols.map((c) => c.name));
  const onProvider = new Set(pcols.map((c) => c.name));
  return {
    table,
    key,
    columns: pcols.filter((c) => writable.has(c.name)).map((c) => c.name),
    missingOnSubscriber: pcols.filter((c) => !onSubscriber.has(c.name)).map((c) => c.name),
    missingOnProvider: scols.filter((c) => !onProvider.has(c.name) && c.generated === '').map((c) => c.name),
  };
}

/** Empties the subscriber table before its first chunk, in the caller's transaction (not with skip-truncate). */
export async function prepareTarget(subscriber: pg.ClientBase, plan: CopyPlan, opts: { truncate: boolean }): Promise<void> {
  if (opts.truncate) {
    await subscriber.query('set local session_replication_role = replica');
    await subscriber.query(`truncate ${plan.table}`);
  }
}

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

export async function copyChunk(provider: pg.ClientBase, subscriber: pg.ClientBase, plan: CopyPlan, opts: ChunkOptions): Promise<ChunkResult> {
  const keyRow = `(${plan.key.map((k) => k.name).join(', ')})`;
  const keyValues = (values: string[]) =>
    `(${values.map((v, i) => `${provider.escapeLiteral(v)}::${plan.key[i]!.type}`).join(', ')})`;
  const conditions = [
    opts.afterKey ? `${keyRow} > ${keyValues(opts.afterKey)}` : null,
    opts.condition ? `(${opts.condition})` : null,
  ].filter(Boolean);
  const where = (extra: string | null) => {
    const all = [...conditions, extra].filter(Boolean);
    return all.length ? ` where ${all.join(' and ')}` : '';
  };
  // Qualified, so that it orders by the columns and not by the ::text output names.
  const order = ` order by ${plan.key.map((k) => `${plan.table}.${k.name}`).join(', ')}`;

  // The chunk's last key, found on the primary key index without reading
  // rows; for the last chunk, the last key there is. Either way the
  // progress recorded is a real key, so a stop right after the last chunk
  // resumes past it and copies nothing twice.
  const keyQuery = (suffix: string) =>
    provider.query({
      text: `select ${plan.key.map((k) => `${k.name}::text`).join(', ')} from ${plan.table}${where(null)}${suffix}`,
      rowMode: 'array',
    });
  let boundKey: string[] | null = (await keyQuery(`${order} offset ${Math.max(0, opts.maxRows - 1)} limit 1`)).rows[0] ?? null;
  let last = false;
  if (!boundKey) {
    last = true;
    const desc = ` order by ${plan.key.map((k) => `${plan.table}.${k.name} desc`).join(', ')} limit 1`;
    boundKey = (await keyQuery(desc)).rows[0] ?? null;
  }
  const select = `select ${plan.columns.join(', ')} from ${plan.table}${where(boundKey ? `${keyRow} <= ${keyValues(boundKey)}` : 'false')}${order}`;

  let rows = 0;
  await subscriber.query('begin');
  try {
    await subscriber.query('set local session_replication_role = replica');
    const target = opts.merge ? 'lambdiste_copy_chunk' : plan.table;
    if (opts.merge) {
      await subscriber.query(`create temp table lambdiste_copy_chunk (like ${plan.table}) on commit drop`);
    }
    const sink = subscriber.query(copyFrom(`copy ${target} (${plan.columns.join(', ')}) from stdin`));
    await pipeline(provider.query(copyTo(`copy (${select}) to stdout`)), sink);
    rows = Number(sink.rowCount ?? 0);
    if (opts.merge) {
      const keys = plan.key.map((k) => k.name).join(', ');
      const set = plan.columns.filter((c) => !plan.key.some((k) => k.name === c)).map((c) => `${c} = excluded.${c}`);
      await subscriber.query(
        `insert into ${plan.table} (${plan.columns.join(', ')}) select ${plan.columns.join(', ')} from lambdiste_copy_chunk
         on conflict (${keys}) do ${set.length ? `update set ${set.join(', ')}` : 'nothing'}`,
      );
    }
    const lastKey = boundKey ?? opts.afterKey;
    await opts.saveProgress(subscriber, lastKey, rows);
    await subscriber.query('commit');
    return { rows, lastKey, done: last };
  } catch (err) {
    await subscriber.query('rollback').catch(() => undefined);
    throw err;
  }
}
