import type pg from 'pg';
import { getQueueInfo, registerConsumer, getConsumerInfo, unregisterConsumer } from '../queue/api.ts';
import { applyNextBatch, type BatchContext } from './batch.ts';
import { copyChunk, describeCopy, prepareTarget } from './copy.ts';
import { deletePosition, readPosition, writePosition } from './position.ts';

/**
 * The initial copy of a subscriber's tables, as a state machine whose
 * state lives in lambdiste.table_info, so any invocation can pick it up:
 *
 *   NULL ──start──▶ in-copy ──last chunk──▶ catching-up ──caught up──▶ ok
 *
 * start: a per-table consumer ("<consumer>.copy.<table>") is registered on
 *   the provider at its latest tick; the subscriber table is emptied
 *   (unless skip_truncate). Every change committed after that tick will be
 *   replayed for this table by that consumer.
 * in-copy: rows move in primary-key chunks, each chunk committed with its
 *   last key. The main consumer skips this table's events meanwhile.
 * catching-up: the per-table consumer replays the table's changes since
 *   the start, idempotently (the chunks had no common snapshot, so rows may
 *   be newer than the changes replayed over them; replaying every change
 *   in order ends at the provider's state). It stops at the main
 *   consumer's position.
 * ok: when both positions are equal the table is handed to the main
 *   consumer in one subscriber transaction, and the per-table consumer is
 *   dropped.
 */

export interface CopyContext extends BatchContext {
  consumer: string;
  /** Fresh connections for copies that run in parallel. */
  openProvider: () => Promise<pg.Client>;
  openSubscriber: () => Promise<pg.Client>;
  /** Default for tables without their own max_parallel_copy. */
  maxParallelCopy: number;
  /** Rows of a table's first chunk (then see chunkSeconds). */
  chunkRows: number;
  /**
   * Chunks grow toward this many seconds each (at most 4-fold from one to
   * the next, from the rate of the last chunk), and never beyond half the
   * time left; 0 keeps every chunk at chunkRows.
   */
  chunkSeconds: number;
  /** Milliseconds left before this run must stop. */
  msLeft: () => number;
  onCopyProgress?: (table: string, rows: number) => void;
  /** Aborted to stop soon: the chunk in flight is rolled back rather than waited for. */
  signal?: AbortSignal;
  log: (level: 'INFO' | 'WARNING', message: string) => void;
}

interface TableState {
  name: string;
  state: null | 'in-copy' | 'catching-up' | 'ok';
  attrs: Record<string, string>;
  copyKey: string[] | null;
}

export const copyConsumerName = (consumer: string, table: string) => `${consumer}.copy.${table}`;

async function tableStates(db: pg.ClientBase, queue: string): Promise<TableState[]> {
  const { rows } = await db.query(
    `select tbl_name, tbl_merge_state, tbl_attrs, tbl_copy_key from lambdiste.table_info
      where tbl_queue = $1 order by tbl_added, tbl_name`,
    [queue],
  );
  return rows.map((r) => ({ name: r.tbl_name, state: r.tbl_merge_state, attrs: r.tbl_attrs, copyKey: r.tbl_copy_key }));
}

/** Tables the main consumer applies now (the others are copying or waiting). */
export async function okTables(db: pg.ClientBase, queue: string): Promise<Set<string>> {
  const { rows } = await db.query(
    `select tbl_name from lambdiste.table_info where tbl_queue = $1 and tbl_merge_state = 'ok'`,
    [queue],
  );
  return new Set(rows.map((r) => r.tbl_name));
}

/**
 * Unregisters per-table consumers that no table needs any more (left by a
 * crash between handover and unregistering, or by remove-table/resync):
 * a forgotten consumer would keep the provider's event tables from rotating.
 */
async function dropStaleCopyConsumers(ctx: CopyContext, states: TableState[]): Promise<void> {
  const prefix = `${ctx.consumer}.copy.`;
  const wanted = new Set(
    states.filter((t) => t.state === 'in-copy' || t.state === 'catching-up').map((t) => copyConsumerName(ctx.consumer, t.name)),
  );
  for (const c of await getConsumerInfo(ctx.provider, ctx.queue)) {
    if (c.consumerName.startsWith(prefix) && !wanted.has(c.consumerName)) {
      await unregisterConsumer(ctx.provider, ctx.queue, c.consumerName);
      await deletePosition(ctx.subscriber, ctx.queue, c.consumerName);
    }
  }
}

async function startCopy(ctx: CopyContext, t: TableState): Promise<void> {
  const copyConsumer = copyConsumerName(ctx.consumer, t.name);
  const [info] = await getQueueInfo(ctx.provider, ctx.queue);
  const startTick = info!.lastTickId;
  // Re-registering at an explicit tick also moves a leftover registration.
  await registerConsumer(ctx.provider, ctx.queue, copyConsumer, startTick);
  const plan = await describeCopy(ctx.provider, ctx.subscriber, t.name);
  await ctx.subscriber.query('begin');
  try {
    await prepareTarget(ctx.subscriber, plan, { truncate: t.attrs.skip_truncate !== '1' });
    await ctx.subscriber.query(
      `update lambdiste.table_info set tbl_merge_state = 'in-copy', tbl_copy_key = null, tbl_copy_rows = 0
        where tbl_queue = $1 and tbl_name = $2`,
      [ctx.queue, t.name],
    );
    await writePosition(ctx.subscriber, ctx.queue, copyConsumer, startTick);
    await ctx.subscriber.query('commit');
  } catch (err) {
    await ctx.subscriber.query('rollback').catch(() => undefined);
    throw err;
  }
  t.state = 'in-copy';
  t.copyKey = null;
  ctx.log('INFO', `Copy started: ${t.name}`);
}

/**
 * Rows for the next chunk. Each chunk is a subscriber transaction whose
 * commit flushes its WAL, and the provider is idle meanwhile: fewer, larger
 * chunks copy faster (10 chunks of 100,000 rows take about 1.25× one COPY
 * of the million). But a chunk must end before the run's deadline, or its
 * work is lost; so chunks grow from the measured rate, bounded by the time
 * left.
 */
export function nextChunkRows(ctx: Pick<CopyContext, 'chunkRows' | 'chunkSeconds' | 'msLeft'>, last: { rows: number; ms: number }): number {
  if (ctx.chunkSeconds <= 0) return ctx.chunkRows;
  const rate = last.rows / Math.max(last.ms, 1);
  const budgetMs = Math.min(ctx.chunkSeconds * 1000, ctx.msLeft() / 2);
  const floor = Math.min(ctx.chunkRows, 1000);
  return Math.max(floor, Math.min(last.rows * 4, Math.floor(rate * budgetMs)));
}

/** Copies chunks of one table on its own connections until done or out of time. */
async function copyTable(ctx: CopyContext, t: TableState): Promise<number> {
  const provider = await ctx.openProvider();
  const subscriber = await ctx.openSubscriber();
  // A chunk may take 10 s; a stop should not wait for it. Closing the
  // chunk's connections rolls it back; the chunks committed before stay.
  const stop = () => {
    void provider.end().catch(() => undefined);
    void subscriber.end().catch(() => undefined);
  };
  ctx.signal?.addEventListener('abort', stop, { once: true });
  let copied = 0;
  try {
    const plan = await describeCopy(provider, subscriber, t.name);
    let afterKey = t.copyKey;
    let maxRows = ctx.chunkRows;
    while (ctx.timeLeft()) {
      const started = performance.now();
      const r = await copyChunk(provider, subscriber, plan, {
        afterKey,
        maxRows,
        condition: t.attrs.copy_condition,
        merge: t.attrs.skip_truncate === '1',
        saveProgress: async (db, lastKey, rows) => {
          await db.query(
            `update lambdiste.table_info
                set tbl_copy_key = $3, tbl_copy_rows = tbl_copy_rows + $4
              where tbl_queue = $1 and tbl_name = $2`,
            [ctx.queue, t.name, lastKey, rows],
          );
        },
      });
      copied += r.rows;
      ctx.onCopyProgress?.(t.name, r.rows);
      maxRows = nextChunkRows(ctx, { rows: r.rows, ms: performance.now() - started });
      afterKey = r.lastKey;
      ctx.failpoint?.('mid-copy');
      if (r.done) {
        // Separate from the last chunk: a crash in between finds no rows
        // left to copy next time and lands here again.
        await subscriber.query(
          `update lambdiste.table_info set tbl_merge_state = 'catching-up'
            where tbl_queue = $1 and tbl_name = $2 and tbl_merge_state = 'in-copy'`,
          [ctx.queue, t.name],
        );
        t.state = 'catching-up';
        ctx.log('INFO', `Copy finished: ${t.name}`);
        break;
      }
    }
  } catch (err) {
    if (ctx.signal?.aborted) throw new Error(`Copy of ${t.name} stopped; the chunk in flight is rolled back`, { cause: err });
    throw err;
  } finally {
    ctx.signal?.removeEventListener('abort', stop);
    await provider.end().catch(() => undefined);
    await subscriber.end().catch(() => undefined);
  }
  return copied;
}

/** Replays a catching-up table's changes up to the main consumer, then hands it over. */
async function catchUp(ctx: CopyContext, t: TableState): Promise<number> {
  const copyConsumer = copyConsumerName(ctx.consumer, t.name);
  const quoted = `'${t.name.replace(/'/g, "''")}'`;
  let events = 0;
  for (;;) {
    const main = await readPosition(ctx.subscriber, ctx.queue, ctx.consumer);
    const mine = await readPosition(ctx.subscriber, ctx.queue, copyConsumer);
    if (!main || !mine) throw new Error(`Positions missing for the copy of ${t.name}`);
    if (mine.tick === main.tick && mine.partialTick === null && main.partialTick === null) {
      await ctx.subscriber.query('begin');
      await ctx.subscriber.query(
        `update lambdiste.table_info set tbl_merge_state = 'ok', tbl_copy_key = null
          where tbl_queue = $1 and tbl_name = $2`,
        [ctx.queue, t.name],
      );
      await deletePosition(ctx.subscriber, ctx.queue, copyConsumer);
      await ctx.subscriber.query('commit');
      await unregisterConsumer(ctx.provider, ctx.queue, copyConsumer).catch(() => undefined);
      t.state = 'ok';
      ctx.log('INFO', `Table in sync: ${t.name}`);
      return events;
    }
    // Ahead of the main consumer: it has to get here first.
    if (mine.tick > main.tick || !ctx.timeLeft()) return events;
    const r = await applyNextBatch(ctx, copyConsumer, async () => new Set([t.name]), { extraWhere: `ev_extra1 = ${quoted}` });
    events += r.events;
    if (r.status === 'none' || r.status === 'partial') return events;
  }
}

export interface CopyWorkResult {
  rows: number;
  events: number;
  /** Tables not yet `ok`. */
  pending: number;
}

/** One round of copy work: start copies the limits allow, copy chunks, catch up, hand over. */
export async function doCopyWork(ctx: CopyContext): Promise<CopyWorkResult> {
  const states = await tableStates(ctx.subscriber, ctx.queue);
  await dropStaleCopyConsumers(ctx, states);

  const copying = states.filter((t) => t.state === 'in-copy');
  const waiting = states.filter((s) => s.state === null);
  // A branch's table is copied from only once it is in sync there: rows it
  // is still copying come with no events to replay.
  const ready = waiting.length ? await okTables(ctx.provider, ctx.queue) : new Set<string>();
  for (const t of waiting) {
    if (!ctx.timeLeft()) break;
    const limit = Number(t.attrs.max_parallel_copy ?? ctx.maxParallelCopy);
    if (copying.length >= limit || !ready.has(t.name)) continue;
    await startCopy(ctx, t);
    copying.push(t);
  }

  // Wait for every copy, even when one fails: a copy left running would
  // outlive this run's lock and race the next run over the same table.
  const settled = await Promise.allSettled(copying.map((t) => copyTable(ctx, t)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const copied = settled.map((r) => (r as PromiseFulfilledResult<number>).value);
  let events = 0;
  for (const t of states.filter((s) => s.state === 'catching-up')) {
    if (!ctx.timeLeft()) break;
    events += await catchUp(ctx, t);
  }
  return {
    rows: copied.reduce((a, b) => a + b, 0),
    events,
    pending: states.filter((t) => t.state !== 'ok').length,
  };
}
