/**
 * Typed access to the queue's SQL API (schema `pgq`). Every call is one
 * PgQ function; nothing here touches the queue's tables directly, so the
 * same code works over Lambdiste's PL/pgSQL queue and the real PgQ.
 *
 * Ids (events, ticks, batches) are bigint in SQL and numbers here: exact up
 * to 2^53, far beyond what a queue reaches.
 */
import pg from 'pg';
import type { Db } from '../db/connect.ts';

export interface QueueEvent {
  id: number;
  time: Date;
  txid: number;
  retry: number | null;
  type: string | null;
  data: string | null;
  extra1: string | null;
  extra2: string | null;
  extra3: string | null;
  extra4: string | null;
}

export interface NewEvent {
  type: string;
  data: string | null;
  extra1?: string | null;
  extra2?: string | null;
  extra3?: string | null;
  extra4?: string | null;
}

export interface Batch {
  batchId: number;
  curTickId: number;
  prevTickId: number;
  curTickTime: Date;
  prevTickTime: Date;
  /** Event sequence values at the two ticks: their difference is a size hint only. */
  curTickEventSeq: number;
  prevTickEventSeq: number;
}

export interface QueueInfo {
  queueName: string;
  ntables: number;
  curTable: number;
  rotationPeriod: string;
  switchTime: Date;
  externalTicker: boolean;
  tickerPaused: boolean;
  tickerMaxCount: number;
  tickerMaxLag: string;
  tickerIdlePeriod: string;
  /** Seconds since the last tick. */
  tickerLag: number;
  evPerSec: number | null;
  evNew: number;
  lastTickId: number;
}

export interface ConsumerInfo {
  queueName: string;
  consumerName: string;
  /** Seconds between now and the consumer's position. */
  lag: number;
  /** Seconds since the consumer last asked for a batch. */
  lastSeen: number;
  lastTick: number;
  currentBatch: number | null;
  nextTick: number | null;
  pendingEvents: number;
}

export type QueueSetting =
  | 'ticker_max_count'
  | 'ticker_max_lag'
  | 'ticker_idle_period'
  | 'ticker_paused'
  | 'rotation_period'
  | 'external_ticker';

const num = (v: unknown): number => Number(v);
const escapeIdentifier = (s: string): string => pg.escapeIdentifier(s);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

async function scalar(db: Db, sql: string, params: unknown[]): Promise<unknown> {
  const { rows } = await db.query({ text: sql, values: params, rowMode: 'array' });
  return rows[0]?.[0];
}

const EVENT_COLUMNS = 'ev_id, ev_time, ev_txid, ev_retry, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4';

/** Row of get_batch_events/get_batch_cursor/FETCH to a QueueEvent. */
export function toEvent(r: Record<string, unknown>): QueueEvent {
  return {
    id: num(r.ev_id),
    time: r.ev_time as Date,
    txid: num(r.ev_txid),
    retry: numOrNull(r.ev_retry),
    type: r.ev_type as string | null,
    data: r.ev_data as string | null,
    extra1: r.ev_extra1 as string | null,
    extra2: r.ev_extra2 as string | null,
    extra3: r.ev_extra3 as string | null,
    extra4: r.ev_extra4 as string | null,
  };
}

/** Creates a queue; false when it already existed. */
export async function createQueue(db: Db, queue: string): Promise<boolean> {
  return num(await scalar(db, 'select pgq.create_queue($1)', [queue])) === 1;
}

export async function dropQueue(db: Db, queue: string, force = false): Promise<void> {
  await db.query('select pgq.drop_queue($1, $2)', [queue, force]);
}

export async function setQueueConfig(db: Db, queue: string, setting: QueueSetting, value: string | number | boolean): Promise<void> {
  await db.query('select pgq.set_queue_config($1, $2, $3)', [queue, setting, String(value)]);
}

/** Queues one event in the caller's transaction; returns its id. */
export async function insertEvent(db: Db, queue: string, ev: NewEvent): Promise<number> {
  return num(
    await scalar(db, 'select pgq.insert_event($1, $2, $3, $4, $5, $6, $7)', [
      queue, ev.type, ev.data, ev.extra1 ?? null, ev.extra2 ?? null, ev.extra3 ?? null, ev.extra4 ?? null,
    ]),
  );
}

/** Ticks one queue if a tick is due; returns the new tick id or null. */
export async function tickQueue(db: Db, queue: string): Promise<number | null> {
  return numOrNull(await scalar(db, 'select pgq.ticker($1)', [queue]));
}

/** Ticks every queue that is due; returns how many ticks were written. */
export async function tickAll(db: Db): Promise<number> {
  return num(await scalar(db, 'select pgq.ticker()', []));
}

/** Makes the next tick of `queue` happen regardless of its settings. */
export async function forceTick(db: Db, queue: string): Promise<void> {
  await db.query('select pgq.force_tick($1)', [queue]);
}

/** Subscribes a consumer (at the latest tick, or `atTick`); false when it was already subscribed. */
export async function registerConsumer(db: Db, queue: string, consumer: string, atTick?: number): Promise<boolean> {
  const r = atTick === undefined
    ? await scalar(db, 'select pgq.register_consumer($1, $2)', [queue, consumer])
    : await scalar(db, 'select pgq.register_consumer_at($1, $2, $3)', [queue, consumer, atTick]);
  return num(r) === 1;
}

export async function unregisterConsumer(db: Db, queue: string, consumer: string): Promise<void> {
  await db.query('select pgq.unregister_consumer($1, $2)', [queue, consumer]);
}

export interface NextBatchOptions {
  /** Only ticks at least this old (an interval, e.g. '2 seconds'). */
  minLag?: string;
  /** Wait for a tick with at least this many events since the last batch. */
  minCount?: number;
  /** Wait for a tick at least this long (an interval) after the last batch. */
  minInterval?: string;
}

/** Opens (or re-opens) the consumer's next batch; null when there is none yet. */
export async function nextBatch(db: Db, queue: string, consumer: string, opts: NextBatchOptions = {}): Promise<Batch | null> {
  const { rows } = await db.query('select * from pgq.next_batch_custom($1, $2, $3, $4, $5)', [
    queue, consumer, opts.minLag ?? null, opts.minCount ?? null, opts.minInterval ?? null,
  ]);
  const r = rows[0];
  if (!r || r.batch_id === null) return null;
  return {
    batchId: num(r.batch_id),
    curTickId: num(r.cur_tick_id),
    prevTickId: num(r.prev_tick_id),
    curTickTime: r.cur_tick_time,
    prevTickTime: r.prev_tick_time,
    curTickEventSeq: num(r.cur_tick_event_seq),
    prevTickEventSeq: num(r.prev_tick_event_seq),
  };
}

/** Every event of an open batch, in event id order. */
export async function getBatchEvents(db: Db, batchId: number): Promise<QueueEvent[]> {
  const { rows } = await db.query(`select ${EVENT_COLUMNS} from pgq.get_batch_events($1)`, [batchId]);
  return rows.map(toEvent);
}

let cursorSeq = 0;

/**
 * Reads an open batch in pages, in event id order, through a server-side
 * cursor, so memory stays bounded whatever the batch size. A page holds at
 * most `pageSize` events and, once the first page has shown how large the
 * events are, about `pageBytes` of event data: an event may carry many rows.
 * Runs in its own read-only transaction on `db`, which must not be in a
 * transaction already. `afterEventId` skips events up to that id (to
 * resume a batch that was partly applied); `extraWhere` is an SQL condition
 * on the event columns (ev_id, ev_extra1, ... without a table alias, as
 * PgQ's get_batch_cursor takes it), built by the caller from trusted values
 * only.
 */
export async function* readBatch(
  db: Db, batchId: number,
  opts: { pageSize?: number; pageBytes?: number; afterEventId?: number; extraWhere?: string } = {},
): AsyncGenerator<QueueEvent[]> {
  const pageSize = opts.pageSize ?? 5000;
  const pageBytes = opts.pageBytes ?? 4 * 1024 * 1024;
  // The first page is read before the events' size is known: a few only.
  const firstPage = Math.min(pageSize, 100);
  const cursor = `lambdiste_batch_${process.pid}_${++cursorSeq}`;
  const conditions = [
    opts.afterEventId === undefined ? null : `ev_id > ${Math.trunc(opts.afterEventId)}`,
    opts.extraWhere ?? null,
  ].filter((c): c is string => c !== null);
  const where = conditions.length ? conditions.map((c) => `(${c})`).join(' and ') : null;
  await db.query('begin isolation level read committed read only');
  let open = true;
  try {
    // The cursor sorts the batch by ev_id: in memory, for batches of the size
    // consumers ask for, rather than through temporary files.
    await db.query(`set local work_mem = '64MB'`);
    let rows = (await db.query(`select ${EVENT_COLUMNS} from pgq.get_batch_cursor($1, $2, $3, $4)`, [
      batchId, cursor, firstPage, where,
    ])).rows;
    let asked = firstPage;
    while (rows.length > 0) {
      const page = rows.map(toEvent);
      yield page;
      if (rows.length < asked) break;
      const bytes = page.reduce((n, ev) => n + (ev.data?.length ?? 0), 0) / page.length + 100;
      asked = Math.max(1, Math.min(pageSize, Math.floor(pageBytes / bytes)));
      rows = (await db.query(`fetch ${asked} from "${cursor}"`)).rows;
    }
    await db.query('commit');
    open = false;
  } finally {
    // Reached on errors and when the reader stops early (return from for-await).
    if (open) await db.query('rollback').catch(() => undefined);
  }
}

/**
 * Closes a batch: the consumer moves past it. False when the batch was not
 * open (unknown, or finished already, e.g. by a finish repeated after a lost
 * connection): PgQ only warns then.
 */
export async function finishBatch(db: Db, batchId: number): Promise<boolean> {
  return num(await scalar(db, 'select pgq.finish_batch($1)', [batchId])) === 1;
}

/** Sends one event of an open batch back to this consumer after `retry` (seconds or a time). */
export async function eventRetry(db: Db, batchId: number, eventId: number, retry: number | Date): Promise<boolean> {
  const r = typeof retry === 'number'
    ? await scalar(db, 'select pgq.event_retry($1, $2, $3::integer)', [batchId, eventId, Math.round(retry)])
    : await scalar(db, 'select pgq.event_retry($1, $2, $3::timestamptz)', [batchId, eventId, retry]);
  return num(r) === 1;
}

/** Sends every event of an open batch back to this consumer after `seconds`. */
export async function batchRetry(db: Db, batchId: number, seconds: number): Promise<number> {
  return num(await scalar(db, 'select pgq.batch_retry($1, $2)', [batchId, Math.round(seconds)]));
}

export async function getQueueInfo(db: Db, queue?: string): Promise<QueueInfo[]> {
  const { rows } = queue === undefined
    ? await db.query('select *, extract(epoch from ticker_lag) as lag_s from pgq.get_queue_info()')
    : await db.query('select *, extract(epoch from ticker_lag) as lag_s from pgq.get_queue_info($1)', [queue]);
  return rows.map((r) => ({
    queueName: r.queue_name,
    ntables: r.queue_ntables,
    curTable: r.queue_cur_table,
    rotationPeriod: String(r.queue_rotation_period),
    switchTime: r.queue_switch_time,
    externalTicker: r.queue_external_ticker,
    tickerPaused: r.queue_ticker_paused,
    tickerMaxCount: r.queue_ticker_max_count,
    tickerMaxLag: String(r.queue_ticker_max_lag),
    tickerIdlePeriod: String(r.queue_ticker_idle_period),
    tickerLag: num(r.lag_s),
    evPerSec: numOrNull(r.ev_per_sec),
    evNew: num(r.ev_new),
    lastTickId: num(r.last_tick_id),
  }));
}

export async function getConsumerInfo(db: Db, queue?: string, consumer?: string): Promise<ConsumerInfo[]> {
  const cols = '*, extract(epoch from lag) as lag_s, extract(epoch from last_seen) as seen_s';
  const { rows } = queue === undefined
    ? await db.query(`select ${cols} from pgq.get_consumer_info()`)
    : consumer === undefined
      ? await db.query(`select ${cols} from pgq.get_consumer_info($1)`, [queue])
      : await db.query(`select ${cols} from pgq.get_consumer_info($1, $2)`, [queue, consumer]);
  return rows.map((r) => ({
    queueName: r.queue_name,
    consumerName: r.consumer_name,
    lag: num(r.lag_s),
    lastSeen: num(r.seen_s),
    lastTick: num(r.last_tick),
    currentBatch: numOrNull(r.current_batch),
    nextTick: numOrNull(r.next_tick),
    pendingEvents: num(r.pending_events),
  }));
}

/**
 * Runs the maintenance that is due, as pgqd does: each call that
 * pgq.maint_operations() lists (rotation steps, extra per-queue functions,
 * VACUUM of the small queue tables when autovacuum is off), each in its own
 * transaction and again as long as it returns non-zero; then
 * pgq.maint_retry_events() until it has moved every retry event that is
 * due. Returns the calls made.
 */
export async function runMaintenance(db: Db): Promise<string[]> {
  const { rows } = await db.query<{ func_name: string; func_arg: string | null }>(
    'select func_name, func_arg from pgq.maint_operations()',
  );
  const done: string[] = [];
  const ident = /^([a-z_][a-z0-9_$]*\.)?[a-z_][a-z0-9_$]*$/i;
  for (const { func_name, func_arg } of rows) {
    if (func_name === 'vacuum') {
      // The table names come from pgq.maint_tables_to_vacuum(); quoted anyway.
      if (func_arg === null) continue;
      await db.query(`vacuum ${func_arg.split('.').map((p) => escapeIdentifier(p)).join('.')}`);
      done.push(`vacuum ${func_arg}`);
      continue;
    }
    // The name comes from the queue's own catalog; validate its shape anyway.
    if (!ident.test(func_name)) throw new Error(`Refusing odd maintenance function name: ${func_name}`);
    const call = func_arg === null ? `select ${func_name}()` : `select ${func_name}($1)`;
    for (let i = 0; i < 1000; i++) {
      const again = await scalar(db, call, func_arg === null ? [] : [func_arg]);
      if (!(Number(again) > 0)) break;
    }
    done.push(func_arg === null ? func_name : `${func_name}(${func_arg})`);
  }
  // A bounded number of events per call: repeat until none is due.
  let moved = 0;
  for (let n = 1; n > 0; moved += n) n = num(await scalar(db, 'select pgq.maint_retry_events()', []));
  if (moved > 0) done.push('pgq.maint_retry_events');
  return done;
}
