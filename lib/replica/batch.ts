import type pg from 'pg';
import { finishBatch, getConsumerInfo, nextBatch, type Batch } from '../queue/api.ts';
import { SET_LOCAL_SETTINGS } from '../db/connect.ts';
import { applyStaged, forgetAllStatements, SetApplyFailed } from './apply.ts';
import { LostPositionError } from './errors.ts';
import { readPosition, writePosition, type Position } from './position.ts';
import { batchEventsQuery, stageEvents, type StageLimits } from './stage.ts';

/** Named points in a batch's life where tests may stop the consumer, as a crash would. */
export type Failpoint = 'after-read' | 'mid-apply' | 'after-commit' | 'mid-copy';

export interface BatchContext {
  provider: pg.ClientBase;
  subscriber: pg.ClientBase;
  queue: string;
  /** Events per chunk staged and applied at once (also bounded in bytes: see chunkLimits). */
  pageSize: number;
  /** Bytes of events per chunk at most (default 128 MiB). */
  pageBytes?: number;
  /** False when there is no time to start another page. */
  timeLeft: () => boolean;
  /** Milliseconds left before the run must stop (default: no end). */
  msLeft?: () => number;
  failpoint?: (point: Failpoint) => void;
}

export interface BatchOutcome {
  /** none: no batch ready; skipped: already applied here; applied; partial: stopped inside it. */
  status: 'none' | 'skipped' | 'applied' | 'partial';
  events: number;
  tickId?: number;
}

export interface BatchOptions {
  /** Narrows what is read from the provider (an SQL condition on ev.*, from trusted values). */
  extraWhere?: string;
  /**
   * With a backlog, take ticks together until the batch holds about this
   * many events, or every tick there is when fewer events are waiting.
   */
  groupEvents?: number;
  /**
   * A branch's main consumer: every event of the batch is also written
   * into the branch's own queue, in the transaction that applies it, and
   * the batch's end tick once that has committed (lambdiste.mirror_tick).
   */
  requeue?: boolean;
}

/**
 * Applies one batch of `consumer` exactly once (the PgQ recipe): the
 * subscriber stores the batch's end tick in the same transaction as its
 * changes; a batch whose end tick is already stored is only finished on
 * the provider; any other mismatch is a lost position, never guessed at.
 * A batch that cannot be applied before the deadline is committed in
 * pieces, each with the last event applied, and resumed from there.
 *
 * `tables` gives, inside the subscriber transaction, the tables whose
 * events to apply.
 */
export async function applyNextBatch(
  ctx: BatchContext, consumer: string,
  tables: (db: pg.ClientBase) => Promise<Set<string>>,
  opts: BatchOptions = {},
): Promise<BatchOutcome> {
  const batch = await openBatch(ctx, consumer, opts.groupEvents);
  if (!batch) return { status: 'none', events: 0 };

  const pos = await readPosition(ctx.subscriber, ctx.queue, consumer);
  if (!pos) throw new Error(`Consumer ${consumer} has no position on this subscriber`);
  if (pos.tick === batch.curTickId) {
    // Applied, but the run stopped before the branch's tick was written.
    if (opts.requeue) await mirrorTick(ctx, batch);
    await finishBatch(ctx.provider, batch.batchId);
    return { status: 'skipped', events: 0, tickId: batch.curTickId };
  }
  if (pos.tick !== batch.prevTickId) throw new LostPositionError(consumer, pos.tick, batch.prevTickId, batch.curTickId);

  const run = (mode: 'set' | 'ordered') => applyBatchTransaction(ctx, consumer, batch, pos, tables, opts, mode);
  let outcome: BatchOutcome;
  try {
    outcome = await run('set');
  } catch (err) {
    if (!(err instanceof SetApplyFailed)) throw err;
    forgetAllStatements(ctx.subscriber);
    // Rolled back: the same batch again, one event at a time, in order.
    outcome = await run('ordered');
  }
  if (outcome.status === 'partial') return outcome;
  ctx.failpoint?.('after-commit');
  if (opts.requeue) await mirrorTick(ctx, batch);
  await finishBatch(ctx.provider, batch.batchId);
  return outcome;
}

/**
 * The consumer's next batch. With `groupEvents`, one batch may span several
 * ticks (fewer commits per event, and pages to read ahead while applying):
 * PgQ's min_count takes ticks together up to the first that reaches the
 * count, so asking for no more than the events waiting (pending_events,
 * counted the same way, from tick_event_seq) takes every waiting tick when
 * there are fewer. With nothing waiting, the plain next tick.
 */
async function openBatch(ctx: BatchContext, consumer: string, groupEvents?: number): Promise<Batch | null> {
  if (!groupEvents) return nextBatch(ctx.provider, ctx.queue, consumer);
  const [info] = await getConsumerInfo(ctx.provider, ctx.queue, consumer);
  const pending = info?.pendingEvents ?? 0;
  return nextBatch(ctx.provider, ctx.queue, consumer, pending > 0 ? { minCount: Math.min(pending, groupEvents) } : {});
}

/** Chunks stage at most this many bytes of events... */
const MAX_CHUNK_BYTES = 128 * 2 ** 20;
/** ...and at least this many, however little time is left. */
const MIN_CHUNK_BYTES = 2 ** 20;
/** The apply rate (bytes of events per ms) taken for granted: this machine measures 30,000 for the seed's table. */
const FLOOR_RATE = 8_000;

/**
 * How much to stage and apply at once. The larger the chunk, the less work:
 * the last change per key is taken over all of its changes, so a row
 * inserted, updated and deleted within one chunk is never written (a
 * 350,000-change backlog applied 1.8× faster in one chunk than in three of
 * 32 MB). But a chunk has to end before the run's deadline: it gets at most
 * half the time left, at the rate measured so far (never taken lower than
 * FLOOR_RATE, so that one small chunk does not keep the next ones small).
 */
function chunkLimits(ctx: BatchContext, rate: number): StageLimits {
  const budgetMs = (ctx.msLeft?.() ?? Infinity) / 2;
  const bytes = Math.min(ctx.pageBytes ?? MAX_CHUNK_BYTES, Math.max(MIN_CHUNK_BYTES, Math.floor(Math.max(rate, FLOOR_RATE) * budgetMs)));
  return { events: ctx.pageSize, bytes };
}

/**
 * The subscriber transaction of one batch: its events streamed from the
 * provider into the staging table chunk by chunk (lib/replica/stage.ts),
 * each chunk applied, then the new position, committed together. Out of
 * time (or asked to stop) after a chunk, it commits what it applied with
 * the last event applied, and the next run resumes from there.
 */
async function applyBatchTransaction(
  ctx: BatchContext, consumer: string, batch: Batch, pos: Position,
  tables: (db: pg.ClientBase) => Promise<Set<string>>, opts: BatchOptions, mode: 'set' | 'ordered',
): Promise<BatchOutcome> {
  const extraWhere = opts.extraWhere;
  const sub = ctx.subscriber;
  const resumeAfter = pos.partialTick === batch.curTickId ? (pos.partialEvent ?? undefined) : undefined;
  let events = 0;
  let open = true;
  // Londiste's choice: replayed changes fire no subscriber triggers and no
  // foreign-key checks (the provider already enforced them).
  // Sorts for the last change per key fit in memory.
  await sub.query(`begin; ${SET_LOCAL_SETTINGS}; set local session_replication_role = replica; set local work_mem = '64MB';
                   select lambdiste.staging_table()`);
  try {
    // Lock the position row: a second consumer for this subscriber waits here.
    const locked = await readPosition(sub, ctx.queue, consumer, true);
    if (!locked || locked.tick !== pos.tick || locked.partialEvent !== pos.partialEvent) {
      throw new Error(`Position of ${consumer} changed while reading it: another consumer is running`);
    }
    const applyTo = await tables(sub);
    const query = await batchEventsQuery(ctx.provider, batch.batchId, { afterEventId: resumeAfter, extraWhere });
    let appliedUpTo: number | null = null;
    let rate = 0;
    let chunkStarted = 0;
    const limits = () => {
      chunkStarted = performance.now();
      return chunkLimits(ctx, rate);
    };
    const staged = await stageEvents(ctx.provider, sub, query, limits, async (chunk) => {
      ctx.failpoint?.('after-read');
      if (opts.requeue) await sub.query('select lambdiste.requeue_staged($1)', [ctx.queue]);
      // The chunk's events before its EXECUTE, with the tables' old shapes; then the SQL.
      const execute = chunk.execute
        ? (await sub.query(`select ev_data, ev_extra1 from pg_temp.lambdiste_batch where ev_id = $1`, [chunk.lastEventId])).rows[0]
        : undefined;
      await applyStaged(sub, applyTo, mode);
      if (execute) {
        await sub.query('select lambdiste.execute_apply($1, $2, $3)', [ctx.queue, execute.ev_extra1, execute.ev_data]);
        forgetAllStatements(sub);
      }
      ctx.failpoint?.('mid-apply');
      rate = Math.max(rate, chunk.bytes / Math.max(performance.now() - chunkStarted, 1));
      events += chunk.events;
      if (ctx.timeLeft()) return true;
      appliedUpTo = chunk.lastEventId;
      return false;
    });
    if (staged.stopped && appliedUpTo !== null) {
      await writePosition(sub, ctx.queue, consumer, pos.tick, { tick: batch.curTickId, event: appliedUpTo });
      await sub.query('commit');
      open = false;
      return { status: 'partial', events, tickId: batch.curTickId };
    }
    await writePosition(sub, ctx.queue, consumer, batch.curTickId);
    await sub.query('commit');
    open = false;
    return { status: 'applied', events, tickId: batch.curTickId };
  } finally {
    if (open) await sub.query('rollback').catch(() => undefined);
  }
}

/**
 * A branch's copy of the batch's end tick, with the provider's id, time and
 * event sequence, written once the batch has committed here (idempotent).
 */
async function mirrorTick(ctx: BatchContext, batch: Batch): Promise<void> {
  await ctx.subscriber.query('select lambdiste.mirror_tick($1, $2, $3, $4)', [
    ctx.queue, batch.curTickId, batch.curTickTime, batch.curTickEventSeq,
  ]);
}
