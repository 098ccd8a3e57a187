import { describe, expect, it } from 'vitest';
import { createQueue, eventRetry, finishBatch, getBatchEvents, insertEvent, nextBatch, registerConsumer } from '../../lib/queue/api.ts';
import { queueDb, takeAll, tickNow } from '../helpers/queue.ts';

describe('event_retry', () => {
  it('brings the event back to that consumer after the delay, and only to it', async () => {
    const { db } = await queueDb('retry');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'a');
    await registerConsumer(db, 'q', 'b');
    await insertEvent(db, 'q', { type: 't', data: 'x', extra1: 'e1' });
    await insertEvent(db, 'q', { type: 't', data: 'y' });
    await tickNow(db, 'q');

    const batch = await nextBatch(db, 'q', 'a');
    const events = await getBatchEvents(db, batch!.batchId);
    expect(await eventRetry(db, batch!.batchId, events[0]!.id, 0)).toBe(true);
    expect(await eventRetry(db, batch!.batchId, events[0]!.id, 0)).toBe(false); // already set aside
    await finishBatch(db, batch!.batchId);
    expect((await takeAll(db, 'q', 'b')).flat()).toEqual(['x', 'y']);

    // Not due yet: nothing moves.
    await db.query(`update pgq.retry_queue set ev_retry_after = now() + interval '1 hour'`);
    expect((await db.query('select pgq.maint_retry_events() as n')).rows[0].n).toBe(0);
    await db.query(`update pgq.retry_queue set ev_retry_after = now() - interval '1 second'`);
    expect((await db.query('select pgq.maint_retry_events() as n')).rows[0].n).toBe(1);
    await tickNow(db, 'q');

    const again = await nextBatch(db, 'q', 'a');
    const back = await getBatchEvents(db, again!.batchId);
    expect(back.map((e) => [e.id, e.data, e.extra1, e.retry])).toEqual([[events[0]!.id, 'x', 'e1', 1]]);
    await finishBatch(db, again!.batchId);
    expect((await takeAll(db, 'q', 'b')).flat()).toEqual([]);
  });

  it('refuses an event that is not in the batch', async () => {
    const { db } = await queueDb('retrybad');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'a');
    await insertEvent(db, 'q', { type: 't', data: 'x' });
    await tickNow(db, 'q');
    const batch = await nextBatch(db, 'q', 'a');
    await expect(eventRetry(db, batch!.batchId, 999999, 0)).rejects.toThrow('event not found');
  });
});
