import { describe, expect, it } from 'vitest';
import { createQueue, finishBatch, insertEvent, nextBatch, readBatch, registerConsumer, getBatchEvents } from '../../lib/queue/api.ts';
import { client } from '../helpers/db.ts';
import { queueDb, takeAll, takeBatch, tickNow } from '../helpers/queue.ts';

describe('batches', () => {
  it('delivers each event to a consumer exactly once, in the batch of its commit', async () => {
    const { db } = await queueDb('batches');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    await insertEvent(db, 'q', { type: 't', data: 'a' });
    await insertEvent(db, 'q', { type: 't', data: 'b' });
    await tickNow(db, 'q');
    await insertEvent(db, 'q', { type: 't', data: 'c' });
    await tickNow(db, 'q');
    expect(await takeAll(db, 'q', 'c')).toEqual([['a', 'b'], ['c']]);
    expect(await takeBatch(db, 'q', 'c')).toBeNull();
  });

  it('puts events of a transaction open across several ticks into the one batch after its commit', async () => {
    const { db, url } = await queueDb('longtx');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    const writer = await client(url);
    await writer.query('begin');
    await insertEvent(writer, 'q', { type: 't', data: 'slow' });
    await insertEvent(db, 'q', { type: 't', data: 'fast1' });
    await tickNow(db, 'q');
    await insertEvent(db, 'q', { type: 't', data: 'fast2' });
    await tickNow(db, 'q');
    expect(await takeAll(db, 'q', 'c')).toEqual([['fast1'], ['fast2']]);
    await writer.query('commit');
    await tickNow(db, 'q');
    await tickNow(db, 'q');
    expect(await takeAll(db, 'q', 'c')).toEqual([['slow'], []]);
  });

  it('never delivers rolled-back events', async () => {
    const { db, url } = await queueDb('rollback');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    const w = await client(url);
    await w.query('begin');
    await insertEvent(w, 'q', { type: 't', data: 'gone' });
    await w.query('rollback');
    await insertEvent(db, 'q', { type: 't', data: 'kept' });
    await tickNow(db, 'q');
    expect(await takeAll(db, 'q', 'c')).toEqual([['kept']]);
  });

  it('loses nothing written while tickers run', async () => {
    const { db, url } = await queueDb('concurrent');
    await createQueue(db, 'q');
    await db.query(`select pgq.set_queue_config('q', 'ticker_max_lag', '0')`);
    await registerConsumer(db, 'q', 'c');
    const writers = await Promise.all([client(url), client(url)]);
    const ticker = await client(url);
    let ticking = true;
    const tickLoop = (async () => {
      while (ticking) await ticker.query('select pgq.ticker()');
    })();
    await Promise.all(
      writers.map(async (w, i) => {
        for (let n = 0; n < 200; n++) {
          await w.query('begin');
          await insertEvent(w, 'q', { type: 't', data: `${i}:${n}` });
          await insertEvent(w, 'q', { type: 't', data: `${i}:${n}b` });
          await w.query('commit');
        }
      }),
    );
    ticking = false;
    await tickLoop;
    await tickNow(db, 'q');
    const seen = (await takeAll(db, 'q', 'c')).flat();
    expect(seen).toHaveLength(800);
    expect(new Set(seen).size).toBe(800);
  });

  it('gives a consumer only the events after its registration', async () => {
    const { db } = await queueDb('register');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'early');
    await insertEvent(db, 'q', { type: 't', data: '1' });
    await tickNow(db, 'q');
    await registerConsumer(db, 'q', 'late');
    await insertEvent(db, 'q', { type: 't', data: '2' });
    await tickNow(db, 'q');
    expect((await takeAll(db, 'q', 'early')).flat()).toEqual(['1', '2']);
    expect((await takeAll(db, 'q', 'late')).flat()).toEqual(['2']);
  });

  it('gives the same open batch again after a crash, and reads a large batch in pages in event order', async () => {
    const { db } = await queueDb('bigbatch');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    await db.query(`select pgq.insert_event('q', 't', g::text) from generate_series(1, 20000) g`);
    await tickNow(db, 'q');
    const b1 = await nextBatch(db, 'q', 'c');
    const b2 = await nextBatch(db, 'q', 'c');
    expect(b2).toEqual(b1);
    const pages: number[] = [];
    const ids: number[] = [];
    for await (const page of readBatch(db, b1!.batchId, { pageSize: 3000 })) {
      pages.push(page.length);
      ids.push(...page.map((e) => e.id));
    }
    // A few events first, until their size is known; then full pages.
    expect(pages).toEqual([100, 3000, 3000, 3000, 3000, 3000, 3000, 1900]);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(20000);
    // Resuming after a given event, as a consumer does inside a partly applied batch.
    let rest = 0;
    for await (const page of readBatch(db, b1!.batchId, { pageSize: 5000, afterEventId: ids[14999] })) rest += page.length;
    expect(rest).toBe(5000);
    expect((await getBatchEvents(db, b1!.batchId)).length).toBe(20000);
    await finishBatch(db, b1!.batchId);
    expect(await nextBatch(db, 'q', 'c')).toBeNull();
  });

  it('keeps pages of large events to about pageBytes', async () => {
    const { db } = await queueDb('widebatch');
    await createQueue(db, 'q');
    await registerConsumer(db, 'q', 'c');
    // 400 events of 10,000 bytes each: 4 MB in all.
    await db.query(`select pgq.insert_event('q', 't', repeat('x', 10000)) from generate_series(1, 400) g`);
    await tickNow(db, 'q');
    const b = await nextBatch(db, 'q', 'c');
    const pages: number[] = [];
    for await (const page of readBatch(db, b!.batchId, { pageSize: 5000, pageBytes: 500_000 })) pages.push(page.length);
    expect(pages[0]).toBe(100);
    // 500,000 bytes / (10,000 + 100 per event) = 49 events per page after the first.
    expect(pages.slice(1, -1).every((n) => n === 49)).toBe(true);
    expect(pages.reduce((a, n) => a + n, 0)).toBe(400);
  });
});
