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

/** A table's events of the page, each as the json object lambdiste.apply_rows takes. */
interface Pending {
  ids: number[];
  items: string[];
}

export interface ApplyCounts {
  events: number;
  rows: number;
  truncates: number;
}

const APPLY = 'select lambdiste.apply_rows($1::regclass, $2) as n';

/**
 * The row's json object with the event's position and operation added, by
 * string surgery rather than JSON.parse: rows are never parsed in Node.
 */
function item(ev: QueueEvent, ord: number): string {
  const s = ev.data?.trimStart() ?? '';
  if (!s.startsWith('{') || s.length < 3) throw new MalformedEventError(ev.id, 'its row is not a json object');
  const op = ev.type;
  return `{"_lambdiste_ev_ord_":${ord},"_lambdiste_op_":"${op}",${s.slice(1)}`;
}

/**
 * Applies one page of a batch (events in event id order) to the subscriber,
 * inside the caller's transaction. In 'set' mode, per table, one
 * set-based statement for the whole page (lambdiste.apply_rows); when one
 * fails (say a unique constraint other than the key is hit by rows in
 * between states) it throws SetApplyFailed and the caller applies the
 * batch again in 'ordered' mode: one event at a time, in order. A TRUNCATE
 * first applies everything pending (it may cascade to other tables), then
 * truncates. Events of tables not in `tables` are skipped.
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
    let p = pending.get(table);
    if (!p) {
      p = { ids: [], items: [] };
      pending.set(table, p);
    }
    p.ids.push(ev.id);
    p.items.push(item(ev, p.ids.length));
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
    const { rows } = await db.query(APPLY, [table, `[${p.items.join(',')}]`]);
    return Number(rows[0].n);
  } catch (err) {
    throw new SetApplyFailed(table, err);
  }
}

/** One event at a time, in order. */
async function applyOrdered(db: pg.ClientBase, table: string, p: Pending): Promise<number> {
  let n = 0;
  for (const [i, id] of p.ids.entries()) {
    try {
      const { rows } = await db.query(APPLY, [table, `[${p.items[i]}]`]);
      n += Number(rows[0].n);
    } catch (err) {
      throw new ApplyError(table, id, err);
    }
  }
  return n;
}
