import type pg from 'pg';
import type { QueueEvent } from '../queue/api.ts';
import { ROW_OPS, TRUNCATE_OP } from './events.ts';

/** What applying needs of an event. */
export type RowEvent = Pick<QueueEvent, 'id' | 'type' | 'data' | 'extra1'>;

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

/**
 * Per connection, the statements that apply changes to a table, by table
 * and column set (lambdiste.apply_statement for one change at a time,
 * lambdiste.apply_staged_statement for staged events): reading the catalog
 * for them costs as much as applying a small page. Sent unnamed, so that
 * they work through poolers that hand each transaction to any server
 * connection. A table's entries are dropped when one of its statements
 * fails (its columns may have changed), and are then built again.
 */
const statements = new WeakMap<pg.ClientBase, Map<string, string>>();

async function statementFor(db: pg.ClientBase, kind: 'one change' | 'staged' | 'staged inserts', table: string, columns: string[]): Promise<string> {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  const key = `${kind}\u0000${table}\u0000${columns.join('\u0000')}`;
  let text = cache.get(key);
  if (text === undefined) {
    const { rows } = kind === 'one change'
      ? await db.query('select lambdiste.apply_statement($1::regclass, $2::text[]) as sql', [table, columns])
      : await db.query('select lambdiste.apply_staged_statement($1::regclass, $2::text[], $3) as sql', [table, columns, kind === 'staged inserts']);
    text = rows[0].sql as string;
    cache.set(key, text);
  }
  return text;
}

/** Forgets every statement built on `db`: after SQL that may have changed any table (execute). */
export function forgetAllStatements(db: pg.ClientBase): void {
  statements.delete(db);
}

function forgetStatements(db: pg.ClientBase, table: string): void {
  const cache = statements.get(db);
  for (const key of cache?.keys() ?? []) if (key.includes(`\u0000${table}\u0000`)) cache!.delete(key);
}

async function run(db: pg.ClientBase, table: string, text: string, values: unknown[]): Promise<number> {
  try {
    const { rows } = await db.query({ text, values });
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
function changesOf(ev: RowEvent): Change[] {
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
 * A page made ready to apply one change at a time: its row events parsed
 * and grouped per table, between the TRUNCATEs that cut it (a TRUNCATE
 * first applies everything before it: it may cascade to other tables).
 */
export interface PagePlan {
  steps: ({ truncate: string } | { rows: Map<string, Pending> })[];
  /** Events of the tables asked for. */
  events: number;
}

/** Plans a page (events in event id order); events of tables not in `tables` are skipped. */
export function planPage(events: RowEvent[], tables: Set<string>): PagePlan {
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
      p = { changes: [] };
      rows.set(table, p);
    }
    for (const c of changes) p.changes.push(c);
  }
  if (rows.size > 0) plan.steps.push({ rows });
  return plan;
}

/**
 * Applies a planned page inside the caller's transaction, one row change
 * at a time, in order: the fallback when the set-based statements of a
 * staged chunk failed (applyStaged; say a unique constraint other than
 * the key is hit by rows in between states).
 */
export async function applyPlan(db: pg.ClientBase, plan: PagePlan): Promise<ApplyCounts> {
  const counts: ApplyCounts = { events: plan.events, rows: 0, truncates: 0 };
  for (const step of plan.steps) {
    if ('truncate' in step) {
      // A canonical name from the subscriber's own table_info, quoted as needed.
      await db.query(`truncate ${step.truncate} cascade`);
      counts.truncates++;
      continue;
    }
    for (const [table, p] of step.rows) counts.rows += await applyOrdered(db, table, p);
  }
  return counts;
}

/** One row change at a time, in order, each with the columns it carries. */
async function applyOrdered(db: pg.ClientBase, table: string, p: Pending): Promise<number> {
  let n = 0;
  for (const c of p.changes) {
    try {
      const text = await statementFor(db, 'one change', table, Object.keys(c.row));
      n += await run(db, table, text, [`[${item(c, 1)}]`]);
    } catch (err) {
      throw new ApplyError(table, c.eventId, err);
    }
  }
  return n;
}

interface StagedTable {
  table_name: string;
  columns: string[] | null;
  one_column_set: boolean | null;
  inserts: boolean | null;
  truncates: string[];
}

/**
 * Applies the chunk staged in pg_temp.lambdiste_batch (lib/replica/stage.ts)
 * inside the caller's transaction, for the tables in `tables`, and empties
 * the staging table. In 'set' mode, per table, one statement for all its
 * events (lambdiste.apply_staged_statement), cut only by TRUNCATEs: a
 * TRUNCATE applies after everything before it (it may cascade to other
 * tables) and before everything after. When a statement fails, or a
 * table's columns change within the chunk, it throws SetApplyFailed: the
 * caller applies the batch again in 'ordered' mode, which reads the
 * events back and applies them one row change at a time (applyPlan).
 */
export async function applyStaged(db: pg.ClientBase, tables: Set<string>, mode: 'set' | 'ordered'): Promise<ApplyCounts> {
  const counts: ApplyCounts = { events: 0, rows: 0, truncates: 0 };
  if (mode === 'ordered') {
    // Read back a page at a time (at most 5,000 events, and 16 MB unless one
    // event is larger): a chunk may hold far more than memory should.
    for (let after = '-9223372036854775808'; ;) {
      const { rows } = await db.query(
        `select ev_id, ev_type, ev_data, ev_extra1
           from (select b.*, coalesce(sum(octet_length(b.ev_data)) over (order by b.ev_id rows between unbounded preceding and 1 preceding), 0) as before
                   from pg_temp.lambdiste_batch b where b.ev_id > $1) p
          where p.before < $2 order by p.ev_id limit 5000`, [after, 16 * 2 ** 20]);
      if (rows.length === 0) break;
      after = rows[rows.length - 1].ev_id;
      const page = await applyPlan(db, planPage(rows.map((r) => ({ id: Number(r.ev_id), type: r.ev_type, data: r.ev_data, extra1: r.ev_extra1 })), tables));
      counts.events += page.events;
      counts.rows += page.rows;
      counts.truncates += page.truncates;
    }
  } else {
    let current = '(staged events)';
    try {
      const { rows } = await db.query<StagedTable>('select table_name, columns, one_column_set, inserts, truncates from lambdiste.staged_tables()');
      const mine = rows.filter((r) => tables.has(r.table_name));
      for (const r of mine) {
        if (r.columns !== null && !r.one_column_set) throw new Error(`the columns of ${r.table_name} change within the page`);
      }
      const truncates = mine.flatMap((r) => r.truncates.map((id) => ({ id: BigInt(id), table: r.table_name })))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (let i = 0; i <= truncates.length; i++) {
        const lo = i === 0 ? null : String(truncates[i - 1]!.id);
        const hi = i < truncates.length ? String(truncates[i]!.id) : null;
        for (const r of mine) {
          if (r.columns === null) continue;
          current = r.table_name;
          const text = await statementFor(db, r.inserts ? 'staged inserts' : 'staged', r.table_name, r.columns);
          counts.rows += await run(db, r.table_name, text, [r.table_name, lo, hi]);
        }
        if (i < truncates.length) {
          current = truncates[i]!.table;
          // A canonical name from the subscriber's own table_info, quoted as needed.
          await db.query(`truncate ${current} cascade`);
          counts.truncates++;
        }
      }
    } catch (err) {
      throw new SetApplyFailed(current, err);
    }
  }
  await db.query('truncate pg_temp.lambdiste_batch');
  return counts;
}
