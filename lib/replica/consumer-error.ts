import type pg from 'pg';
import { ApplyError } from './apply.ts';

/** Why a consumer's rounds are failing, as `status` shows it (lambdiste.consumer_error on the subscriber). */
export interface ConsumerError {
  consumer: string;
  message: string;
  /** For an event the subscriber cannot apply: its table and event id. */
  table: string | null;
  eventId: number | null;
  /** The first failure of this run of failures. */
  since: Date;
  last: Date;
  attempts: number;
}

/**
 * Records a failed round, outside any transaction (the round's own has
 * been rolled back). The first failure in a row sets `since`; the next
 * ones keep it and count.
 */
export async function recordConsumerError(db: pg.ClientBase, queue: string, consumer: string, err: unknown, message: string): Promise<void> {
  const apply = err instanceof ApplyError ? err : null;
  await db.query(
    `insert into lambdiste.consumer_error (err_queue, err_consumer, err_message, err_table, err_event)
     values ($1, $2, $3, $4, $5)
     on conflict (err_queue, err_consumer) do update
        set err_message = excluded.err_message, err_table = excluded.err_table, err_event = excluded.err_event,
            err_last = now(), err_attempts = lambdiste.consumer_error.err_attempts + 1`,
    [queue, consumer, message, apply?.table ?? null, apply?.eventId ?? null],
  );
}

/** After a round that succeeded: the consumer is no longer failing. */
export async function clearConsumerError(db: pg.ClientBase, queue: string, consumer: string): Promise<void> {
  await tolerateOldSchema(db.query('delete from lambdiste.consumer_error where err_queue = $1 and err_consumer = $2', [queue, consumer]));
}

/**
 * A subscriber whose schema predates migration 0002 (not upgraded yet with
 * `install`) has no lambdiste.consumer_error: replication goes on, without
 * errors in status.
 */
async function tolerateOldSchema<T>(q: Promise<T>): Promise<T | undefined> {
  try {
    return await q;
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return undefined;
    throw err;
  }
}

/** The consumers of `queue` failing on this subscriber (none when its schema predates migration 0002). */
export async function readConsumerErrors(db: pg.ClientBase, queue: string): Promise<ConsumerError[]> {
  const r = await tolerateOldSchema(db.query(
    `select err_consumer, err_message, err_table, err_event, err_since, err_last, err_attempts
       from lambdiste.consumer_error where err_queue = $1 order by err_consumer`,
    [queue],
  ));
  return (r?.rows ?? []).map((r) => ({
    consumer: r.err_consumer,
    message: r.err_message,
    table: r.err_table,
    eventId: r.err_event === null ? null : Number(r.err_event),
    since: r.err_since,
    last: r.err_last,
    attempts: r.err_attempts,
  }));
}
