import { describe, expect, it } from 'vitest';
import { createQueue, finishBatch, insertEvent, nextBatch, registerConsumer, unregisterConsumer } from '../../lib/queue/api.ts';
import { queueDb, tickNow } from '../helpers/queue.ts';

/** Everything a mistake could change, as one comparable value. */
async function state(db: import('pg').ClientBase): Promise<unknown> {
  const { rows } = await db.query(`select
      (select json_agg(s order by sub_id) from pgq.subscription s) as subs,
      (select json_agg(t.tick_id order by tick_id) from pgq.tick t) as ticks,
      (select json_agg(q.queue_name order by queue_id) from pgq.queue q) as queues`);
  return rows[0];
}

describe('bad input', () => {
  it('is refused with PgQ\'s messages and changes nothing; a repeated finish only warns', async () => {
    const { db } = await queueDb('errors');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    await insertEvent(db, 'q', { type: 't', data: 'x' });
    await tickNow(db, 'q');
    const batch = await nextBatch(db, 'q', 'c');
    expect(await finishBatch(db, batch!.batchId)).toBe(true);
    const before = await state(db);
    const warnings: string[] = [];
    db.on('notice', (n) => warnings.push(n.message ?? ''));

    await expect(insertEvent(db, 'nope', { type: 't', data: 'x' })).rejects.toThrow('No such queue');
    await expect(nextBatch(db, 'nope', 'c')).rejects.toThrow('Not subscriber to queue: nope/c');
    await expect(nextBatch(db, 'q', 'stranger')).rejects.toThrow('Not subscriber to queue: q/stranger');
    await unregisterConsumer(db, 'q', 'stranger'); // 0, as in PgQ
    // A consumer repeating its finish after a lost connection goes on.
    expect(await finishBatch(db, batch!.batchId)).toBe(false);
    expect(await finishBatch(db, 424242)).toBe(false);
    expect(warnings).toEqual([`finish_batch: batch ${batch!.batchId} not found`, 'finish_batch: batch 424242 not found']);
    await expect(db.query(`select * from pgq.get_batch_events(424242)`)).rejects.toThrow('batch not found');
    await expect(db.query(`select pgq.drop_queue('q')`)).rejects.toThrow('cannot drop queue, consumers still attached');
    await expect(db.query(`select pgq.set_queue_config('q', 'no_such', '1')`)).rejects.toThrow('cannot change parameter "no_suchs"');
    await expect(db.query(`select pgq.create_queue(null)`)).rejects.toThrow('Invalid NULL value');

    expect(await state(db)).toEqual(before);
    expect(await createQueue(db, 'q')).toBe(false);
  });
});
