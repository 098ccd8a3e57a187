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

interface Pending {
  ids: number[];
  ops: string[];
  data: (string | null)[];
  oldKeys: (string | null)[];
}

export interface ApplyCounts {
  events: number;
  rows: number;
  truncates: number;
  fallbacks: number;
}

const APPLY = 'select lambdiste.apply_rows($1::regclass, $2::text[], $3::text[], $4::text[]) as n';

/**
 * Applies one page of a batch (events in event id order) to the subscriber,
 * inside the caller's transaction: per table, one set-based statement for
 * the whole page (lambdiste.apply_rows). When that fails (say a unique
 * constraint other than the key is hit by rows in between states), the
 * table's events are applied again one at a time, in order. A TRUNCATE
 * first applies everything pending (it may cascade to other tables), then
 * truncates. Events of tables not in `tables` are skipped.
 */
export async function applyEvents(db: pg.ClientBase, events: QueueEvent[], tables: Set<string>): Promise<ApplyCounts> {
  const counts: ApplyCounts = { events: 0, rows: 0, truncates: 0, fallbacks: 0 };
  let pending = new Map<string, Pending>();

  const flush = async () => {
    for (const [table, p] of pending) await applyTable(db, table, p, counts);
    pending = new Map();
  };

  for (const ev of events) {
    const table = ev.extra1;
    if (table === null || !tables.has(table)) continue;
    counts.events++;
    if (ev.type === TRUNCATE_OP) {
      await flush();
      await db.query(`truncate ${table} cascade`);
      counts.truncates++;
      continue;
    }
    if (ev.type === null || !ROW_OPS.has(ev.type)) continue;
    let p = pending.get(table);
    if (!p) {
      p = { ids: [], ops: [], data: [], oldKeys: [] };
      pending.set(table, p);
    }
    p.ids.push(ev.id);
    p.ops.push(ev.type);
    p.data.push(ev.data);
    p.oldKeys.push(ev.type === 'U' ? ev.extra2 : null);
  }
  await flush();
  return counts;
}

async function applyTable(db: pg.ClientBase, table: string, p: Pending, counts: ApplyCounts): Promise<void> {
  // `table` is a canonical name from the subscriber's own table_info, quoted as needed.
  await db.query('savepoint lambdiste_apply');
  try {
    const { rows } = await db.query(APPLY, [table, p.ops, p.data, p.oldKeys]);
    counts.rows += Number(rows[0].n);
    await db.query('release savepoint lambdiste_apply');
    return;
  } catch {
    await db.query('rollback to savepoint lambdiste_apply');
  }
  counts.fallbacks++;
  for (let i = 0; i < p.ids.length; i++) {
    try {
      const { rows } = await db.query(APPLY, [table, [p.ops[i]], [p.data[i]], [p.oldKeys[i]]]);
      counts.rows += Number(rows[0].n);
    } catch (err) {
      throw new ApplyError(table, p.ids[i]!, err);
    }
  }
  await db.query('release savepoint lambdiste_apply');
}
