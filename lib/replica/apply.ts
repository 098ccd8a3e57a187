import type pg from 'pg';
import type { QueueEvent } from '../queue/api.ts';
import { ROW_OPS, TRUNCATE_OP } from './events.ts';

/** A table could not be brought to an event's state, even one event at a time. */
export class ApplyError extends Error {
  constructor(public readonly table: string, public readonly eventId: number, cause: unknown) {
    super(`Cannot apply event ${eventId} to ${table}: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'ApplyError';
  }
}

/** A set-based step failed: the transaction is aborted; apply the batch again in 'ordered' mode. */
export class SetApplyFailed extends Error {
  constructor(public readonly table: string, cause: unknown) {
    super(`Set-based apply to ${table} failed: ${(cause as Error)?.message ?? cause}`, { cause });
    this.name = 'SetApplyFailed';
  }
}

/** Malformed event data (not a json object): never guessed at. */
export class MalformedEventError extends Error {
  constructor(eventId: number, what: string) {
    super(`Event ${eventId} is malformed: ${what}`);
    this.name = 'MalformedEventError';
  }
}
/** A table's row events of the page, in event order. */
interface Pending {
  /** The keys of the rows (the provider's columns), from the first event. */
  columns: string[];
  events: QueueEvent[];
  /** The rows, parsed (JSON.parse) once. */
  rows: Record<string, unknown>[];
}

export interface ApplyCounts {
  events: number;
  rows: number;
  truncates: number;
}

/** A table's prepared apply statements (lambdiste.apply_statement) on one connection. */
interface Statements {
  merge: pg.QueryConfig;
  net: pg.QueryConfig | null;
  pk: string[];
}

/**
 * Per connection, the apply statements by table and column set: a named
 * statement is parsed and planned once per connection. A table's entries
 * are dropped when one of its statements fails (its columns may have
 * changed), and are then built again under new names.
 */
const prepared = new WeakMap<pg.ClientBase, Map<string, Statements>>();
let preparedSeq = 0;

async function statementsFor(db: pg.ClientBase, table: string, columns: string[]): Promise<Statements> {
  let cache = prepared.get(db);
  if (!cache) prepared.set(db, (cache = new Map()));
  const key = `${table}\u0000${columns.join('\u0000')}`;
  let stmts = cache.get(key);
  if (!stmts) {
    const { rows } = await db.query(
      'select merge_sql, net_sql, pk from lambdiste.apply_statement($1::regclass, $2::text[])', [table, columns]);
    const n = ++preparedSeq;
    stmts = {
      merge: { name: `lambdiste_merge_${n}`, text: rows[0].merge_sql },
      net: rows[0].net_sql === null ? null : { name: `lambdiste_net_${n}`, text: rows[0].net_sql },
      pk: rows[0].pk,
    };
    cache.set(key, stmts);
  }
  return stmts;
}

function forgetStatements(db: pg.ClientBase, table: string): void {
  const cache = prepared.get(db);
  for (const key of cache?.keys() ?? []) if (key.startsWith(`${table}\u0000`)) cache!.delete(key);
}

async function run(db: pg.ClientBase, table: string, stmt: pg.QueryConfig, values: string[]): Promise<number> {
  try {
    const { rows } = await db.query({ ...stmt, values });
    return Number(rows[0].n);
  } catch (err) {
    forgetStatements(db, table);
    throw err;
  }
}

function parseRow(ev: QueueEvent): Record<string, unknown> {
  let row: unknown;
  try {
    row = JSON.parse(ev.data ?? '');
  } catch {
    throw new MalformedEventError(ev.id, 'its row is not valid json');
  }
  if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new MalformedEventError(ev.id, 'its row is not a json object');
  return row as Record<string, unknown>;
}

/**
 * The row's json object with the event's position and operation added, as
 * the merge statement takes it: string surgery on the event's own text,
 * already checked to be a json object.
 */
function item(ev: QueueEvent, ord: number): string {
  const s = ev.data!.trimStart();
  return s.length === 2 ? `{"_lambdiste_ev_ord_":${ord},"_lambdiste_op_":"${ev.type}"}`
    : `{"_lambdiste_ev_ord_":${ord},"_lambdiste_op_":"${ev.type}",${s.slice(1)}`;
}

/**
 * The key of a row as a string that is equal for two rows exactly when
 * PostgreSQL finds their keys equal, or null when that cannot be told from
 * the json values (an integer beyond 2^53 loses digits in JSON.parse; a
 * missing key is left for the statement to report).
 */
function keyOf(row: Record<string, unknown>, pk: string[]): string | null {
  let key = '';
  for (const col of pk) {
    const v = row[col];
    if (typeof v === 'string') key += `s${v.length}:${v}`;
    else if (typeof v === 'number' && Number.isSafeInteger(v)) key += `n${v};`;
    else if (typeof v === 'boolean') key += v ? 't' : 'f';
    else return null;
  }
  return key;
}

/**
 * The net effect of a table's events: the last event per key, split into
 * rows to delete and rows to upsert; null when some key cannot be compared
 * here (the merge statement then finds it in PostgreSQL).
 */
function netEffect(p: Pending, pk: string[]): { deletes: string[]; upserts: string[] } | null {
  const last = new Map<string, QueueEvent>();
  for (const [i, ev] of p.events.entries()) {
    const key = keyOf(p.rows[i]!, pk);
    if (key === null) return null;
    last.set(key, ev);
  }
  const deletes: string[] = [];
  const upserts: string[] = [];
  for (const ev of last.values()) (ev.type === 'D' ? deletes : upserts).push(ev.data!);
  return { deletes, upserts };
}

/**
 * Applies one page of a batch (events in event id order) to the subscriber,
 * inside the caller's transaction. In 'set' mode, per table, one
 * set-based statement for the whole page (lambdiste.apply_statement): the
 * net statement when the keys can be compared here, the merge statement
 * otherwise. When one fails (say a unique constraint other than the key
 * is hit by rows in between states) it throws SetApplyFailed and the
 * caller applies the batch again in 'ordered' mode: one event at a time,
 * in order. A TRUNCATE first applies everything pending (it may cascade to
 * other tables), then truncates. Events of tables not in `tables` are
 * skipped.
 */
export async function applyEvents(
  db: pg.ClientBase, events: QueueEvent[], tables: Set<string>, mode: 'set' | 'ordered' = 'set',
): Promise<ApplyCounts> {
  const counts: ApplyCounts = { events: 0, rows: 0, truncates: 0 };
  let pending = new Map<string, Pending>();

  const flush = async () => {
    for (const [table, p] of pending) counts.rows += mode === 'set' ? await applySet(db, table, p) : await applyOrdered(db, table, p);
    pending = new Map();
  };

  for (const ev of events) {
    const table = ev.extra1;
    if (table === null || !tables.has(table)) continue;
    counts.events++;
    if (ev.type === TRUNCATE_OP) {
      await flush();
      // `table` is a canonical name from the subscriber's own table_info, quoted as needed.
      await db.query(`truncate ${table} cascade`);
      counts.truncates++;
      continue;
    }
    if (ev.type === null || !ROW_OPS.has(ev.type)) continue;
    const row = parseRow(ev);
    let p = pending.get(table);
    if (!p) {
      p = { columns: Object.keys(row), events: [], rows: [] };
      pending.set(table, p);
    }
    p.events.push(ev);
    p.rows.push(row);
  }
  await flush();
  return counts;
}

/**
 * The whole page for a table in one statement, with no savepoint around it
 * (that would cost two round trips per table and page).
 */
async function applySet(db: pg.ClientBase, table: string, p: Pending): Promise<number> {
  try {
    const stmts = await statementsFor(db, table, p.columns);
    const net = stmts.net && netEffect(p, stmts.pk);
    if (net) return await run(db, table, stmts.net!, [`[${net.deletes.join(',')}]`, `[${net.upserts.join(',')}]`]);
    return await run(db, table, stmts.merge, [`[${p.events.map((ev, i) => item(ev, i + 1)).join(',')}]`]);
  } catch (err) {
    throw new SetApplyFailed(table, err);
  }
}

/** One event at a time, in order. */
async function applyOrdered(db: pg.ClientBase, table: string, p: Pending): Promise<number> {
  let n = 0;
  for (const ev of p.events) {
    try {
      const stmts = await statementsFor(db, table, p.columns);
      n += await run(db, table, stmts.merge, [`[${item(ev, 1)}]`]);
    } catch (err) {
      throw new ApplyError(table, ev.id, err);
    }
  }
  return n;
}
