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
  it('names what is wrong and changes nothing', async () => {
    const { db } = await queueDb('errors');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    await insertEvent(db, 'q', { type: 't', data: 'x' });
    await tickNow(db, 'q');
    const batch = await nextBatch(db, 'q', 'c');
    await finishBatch(db, batch!.batchId);
    const before = await state(db);

    await expect(insertEvent(db, 'nope', { type: 't', data: 'x' })).rejects.toThrow('Queue not found: nope');
    await expect(nextBatch(db, 'nope', 'c')).rejects.toThrow('Queue not found: nope');
    await expect(nextBatch(db, 'q', 'stranger')).rejects.toThrow('Consumer stranger is not registered on queue q');
    await expect(unregisterConsumer(db, 'q', 'stranger')).rejects.toThrow('Consumer stranger is not registered on queue q');
    await expect(finishBatch(db, batch!.batchId)).rejects.toThrow(`Batch not found (unknown or already finished): ${batch!.batchId}`);
    await expect(finishBatch(db, 424242)).rejects.toThrow('Batch not found (unknown or already finished): 424242');
    await expect(db.query(`select * from pgq.get_batch_events(424242)`)).rejects.toThrow('Batch not found');
    await expect(db.query(`select pgq.drop_queue('q')`)).rejects.toThrow('Queue q still has consumers: c');
    await expect(db.query(`select pgq.set_queue_config('q', 'no_such', '1')`)).rejects.toThrow('Unknown queue setting: no_such');
    await expect(db.query(`select pgq.create_queue('')`)).rejects.toThrow('Queue name must not be empty');

    expect(await state(db)).toEqual(before);
    expect(await createQueue(db, 'q')).toBe(false);
  });
});
