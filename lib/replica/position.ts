import type pg from 'pg';

/**
 * A consumer's exactly-once position on the subscriber (lambdiste.applied):
 * the end tick of the last batch whose changes are committed here and,
 * while a very large batch is applied in pieces, the last event applied.
 */
export interface Position {
  tick: number;
  partialTick: number | null;
  partialEvent: number | null;
}

export async function readPosition(db: pg.ClientBase, queue: string, consumer: string, lock = false): Promise<Position | null> {
  const { rows } = await db.query(
    `select app_tick, app_partial_tick, app_partial_event from lambdiste.applied
      where app_queue = $1 and app_consumer = $2${lock ? ' for update' : ''}`,
    [queue, consumer],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    tick: Number(r.app_tick),
    partialTick: r.app_partial_tick === null ? null : Number(r.app_partial_tick),
    partialEvent: r.app_partial_event === null ? null : Number(r.app_partial_event),
  };
}

/** Sets a position (creating it): `partial` marks a batch applied up to an event. */
export async function writePosition(
  db: pg.ClientBase, queue: string, consumer: string, tick: number,
  partial: { tick: number; event: number } | null = null,
): Promise<void> {
  await db.query(
    `insert into lambdiste.applied (app_queue, app_consumer, app_tick, app_partial_tick, app_partial_event)
     values ($1, $2, $3, $4, $5)
     on conflict (app_queue, app_consumer) do update
        set app_tick = excluded.app_tick, app_partial_tick = excluded.app_partial_tick,
            app_partial_event = excluded.app_partial_event, app_updated = now()`,
    [queue, consumer, tick, partial?.tick ?? null, partial?.event ?? null],
  );
}

export async function deletePosition(db: pg.ClientBase, queue: string, consumer: string): Promise<void> {
  await db.query('delete from lambdiste.applied where app_queue = $1 and app_consumer = $2', [queue, consumer]);
}
