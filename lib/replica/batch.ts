import type pg from 'pg';
import { finishBatch, nextBatch, readBatch } from '../queue/api.ts';
import { applyEvents } from './apply.ts';
import { LostPositionError } from './errors.ts';
import { readPosition, writePosition } from './position.ts';

/** Named points in a batch's life where tests may stop the consumer, as a crash would. */
export type Failpoint = 'after-read' | 'mid-apply' | 'after-commit' | 'mid-copy';

export interface BatchContext {
  provider: pg.Client;
  subscriber: pg.Client;
  queue: string;
  /** Events per page read from the provider (bounds memory). */
  pageSize: number;
  /** False when there is no time to start another page. */
  timeLeft: () => boolean;
  failpoint?: (point: Failpoint) => void;
}

export interface BatchOutcome {
  /** none: no batch ready; skipped: already applied here; applied; partial: stopped inside it. */
  status: 'none' | 'skipped' | 'applied' | 'partial';
  events: number;
  tickId?: number;
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
 * events to apply; `extraWhere` narrows what is read from the provider.
 */
export async function applyNextBatch(
  ctx: BatchContext, consumer: string,
  tables: (db: pg.ClientBase) => Promise<Set<string>>,
  extraWhere?: string,
): Promise<BatchOutcome> {
  const batch = await nextBatch(ctx.provider, ctx.queue, consumer);
  if (!batch) return { status: 'none', events: 0 };

  const pos = await readPosition(ctx.subscriber, ctx.queue, consumer);
  if (!pos) throw new Error(`Consumer ${consumer} has no position on this subscriber`);
  if (pos.tick === batch.curTickId) {
    await finishBatch(ctx.provider, batch.batchId);
    return { status: 'skipped', events: 0, tickId: batch.curTickId };
  }
  if (pos.tick !== batch.prevTickId) throw new LostPositionError(consumer, pos.tick, batch.prevTickId, batch.curTickId);
  const resumeAfter = pos.partialTick === batch.curTickId ? (pos.partialEvent ?? undefined) : undefined;

  const sub = ctx.subscriber;
  let events = 0;
  let open = true;
  await sub.query('begin');
  try {
    // Londiste's choice: replayed changes fire no subscriber triggers and no
    // foreign-key checks (the provider already enforced them).
    await sub.query('set local session_replication_role = replica');
    // Lock the position row: a second consumer for this subscriber waits here.
    const locked = await readPosition(sub, ctx.queue, consumer, true);
    if (!locked || locked.tick !== pos.tick || locked.partialEvent !== pos.partialEvent) {
      throw new Error(`Position of ${consumer} changed while reading it: another consumer is running`);
    }
    const applyTo = await tables(sub);
    let lastEvent = resumeAfter;
    for await (const page of readBatch(ctx.provider, batch.batchId, { pageSize: ctx.pageSize, afterEventId: resumeAfter, extraWhere })) {
      ctx.failpoint?.('after-read');
      await applyEvents(sub, page, applyTo);
      ctx.failpoint?.('mid-apply');
      events += page.length;
      lastEvent = page[page.length - 1]!.id;
      if (page.length === ctx.pageSize && !ctx.timeLeft()) {
        await writePosition(sub, ctx.queue, consumer, pos.tick, { tick: batch.curTickId, event: lastEvent });
        await sub.query('commit');
        open = false;
        return { status: 'partial', events, tickId: batch.curTickId };
      }
    }
    await writePosition(sub, ctx.queue, consumer, batch.curTickId);
    await sub.query('commit');
    open = false;
  } finally {
    if (open) await sub.query('rollback').catch(() => undefined);
  }
  ctx.failpoint?.('after-commit');
  await finishBatch(ctx.provider, batch.batchId);
  return { status: 'applied', events, tickId: batch.curTickId };
}
