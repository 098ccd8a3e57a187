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
/**
 * A table's row changes of the page, in event order: one per row (an event
 * of a multi-row statement carries several rows).
 */
interface Pending {
  /** The keys of the rows (the provider's columns), from the first row. */
  columns: string[];
  changes: Change[];
}

interface Change {
  eventId: number;
  op: string;
  /** The row's json text, as captured. */
  text: string;
  row: Record<string, unknown>;
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

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The rows an event carries, each with its own json text: ev_data is one
 * row (a json object) or, from a statement that changed several, a json
 * array of rows.
 */
function changesOf(ev: QueueEvent): Change[] {
  const text = ev.data ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new MalformedEventError(ev.id, 'its row is not valid json');
  }
  if (isObject(parsed)) return [{ eventId: ev.id, op: ev.type!, text, row: parsed }];
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every(isObject)) {
    throw new MalformedEventError(ev.id, 'its row is not a json object');
  }
  const texts = splitJsonArray(text);
  if (texts.length !== parsed.length) throw new MalformedEventError(ev.id, 'its rows could not be told apart');
  return parsed.map((row, i) => ({ eventId: ev.id, op: ev.type!, text: texts[i]!, row }));
}

/**
 * The elements of a json array (already known to be valid json), as their
 * own texts: the rows are passed on to PostgreSQL as captured, never
 * re-serialised (JSON.stringify would round numbers beyond a double).
 */
export function splitJsonArray(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (depth === 1 && start < 0) start = i;
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth === 1 && start >= 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return out;
}

/**
 * The row's json object with its position and operation added, as the
 * merge statement takes it: string surgery on the row's own text.
 */
function item(c: Change, ord: number): string {
  const s = c.text.trimStart();
  return Object.keys(c.row).length === 0 ? `{"_lambdiste_ev_ord_":${ord},"_lambdiste_op_":"${c.op}"}`
    : `{"_lambdiste_ev_ord_":${ord},"_lambdiste_op_":"${c.op}",${s.slice(1)}`;
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
  const last = new Map<string, Change>();
  for (const c of p.changes) {
    const key = keyOf(c.row, pk);
    if (key === null) return null;
    last.set(key, c);
  }
  const deletes: string[] = [];
  const upserts: string[] = [];
  for (const c of last.values()) (c.op === 'D' ? deletes : upserts).push(c.text);
  return { deletes, upserts };
}

/**
 * A page made ready to apply: its row events parsed and grouped per table,
 * between the TRUNCATEs that cut it (a TRUNCATE first applies everything
 * before it: it may cascade to other tables). Planning is plain CPU work,
 * done while the previous page is being applied.
 */
export interface PagePlan {
  steps: ({ truncate: string } | { rows: Map<string, Pending> })[];
  /** Events of the tables asked for. */
  events: number;
}

/** Plans a page (events in event id order); events of tables not in `tables` are skipped. */
export function planPage(events: QueueEvent[], tables: Set<string>): PagePlan {
  const plan: PagePlan = { steps: [], events: 0 };
  let rows = new Map<string, Pending>();
  for (const ev of events) {
    const table = ev.extra1;
    if (table === null || !tables.has(table)) continue;
    plan.events++;
    if (ev.type === TRUNCATE_OP) {
      if (rows.size > 0) plan.steps.push({ rows });
      rows = new Map();
      plan.steps.push({ truncate: table });
      continue;
    }
    if (ev.type === null || !ROW_OPS.has(ev.type)) continue;
    const changes = changesOf(ev);
    let p = rows.get(table);
    if (!p) {
      p = { columns: Object.keys(changes[0]!.row), changes: [] };
      rows.set(table, p);
    }
    for (const c of changes) p.changes.push(c);
  }
  if (rows.size > 0) plan.steps.push({ rows });
  return plan;
}

/**
 * Applies a planned page inside the caller's transaction. In 'set' mode,
 * per table, one set-based statement for the whole page
 * (lambdiste.apply_statement): the net statement when the keys can be
 * compared here, the merge statement otherwise. When one fails (say a
 * unique constraint other than the key is hit by rows in between states)
 * it throws SetApplyFailed and the caller applies the batch again in
 * 'ordered' mode: one row change at a time, in order.
 */
export async function applyPlan(db: pg.ClientBase, plan: PagePlan, mode: 'set' | 'ordered' = 'set'): Promise<ApplyCounts> {
  const counts: ApplyCounts = { events: plan.events, rows: 0, truncates: 0 };
  for (const step of plan.steps) {
    if ('truncate' in step) {
      // A canonical name from the subscriber's own table_info, quoted as needed.
      await db.query(`truncate ${step.truncate} cascade`);
      counts.truncates++;
      continue;
    }
    for (const [table, p] of step.rows) counts.rows += mode === 'set' ? await applySet(db, table, p) : await applyOrdered(db, table, p);
  }
  return counts;
}

/** Plans and applies one page (see planPage and applyPlan). */
export async function applyEvents(
  db: pg.ClientBase, events: QueueEvent[], tables: Set<string>, mode: 'set' | 'ordered' = 'set',
): Promise<ApplyCounts> {
  return applyPlan(db, planPage(events, tables), mode);
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
    return await run(db, table, stmts.merge, [`[${p.changes.map((c, i) => item(c, i + 1)).join(',')}]`]);
  } catch (err) {
    throw new SetApplyFailed(table, err);
  }
}

/** One row change at a time, in order. */
async function applyOrdered(db: pg.ClientBase, table: string, p: Pending): Promise<number> {
  let n = 0;
  for (const c of p.changes) {
    try {
      const stmts = await statementsFor(db, table, p.columns);
      n += await run(db, table, stmts.merge, [`[${item(c, 1)}]`]);
    } catch (err) {
      throw new ApplyError(table, c.eventId, err);
    }
  }
  return n;
}
