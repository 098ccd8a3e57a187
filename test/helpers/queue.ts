import type pg from 'pg';
import { install } from '../../lib/install.ts';
import { finishBatch, getBatchEvents, nextBatch, type QueueEvent } from '../../lib/queue/api.ts';
import { client, createDatabase } from './db.ts';

/** A fresh database with the queue installed, and a client on it closed after the test. */
export async function queueDb(prefix: string): Promise<{ url: string; db: pg.Client }> {
  const url = await createDatabase('provider', prefix);
  const db = await client(url);
  await install(db, { queueOnly: true });
  return { url, db };
}

/** Writes a tick now, whatever the ticker settings. */
export async function tickNow(db: pg.ClientBase, queue: string): Promise<number> {
  await db.query('select pgq.force_tick($1)', [queue]);
  const { rows } = await db.query('select pgq.ticker($1) as t', [queue]);
  if (rows[0].t === null) throw new Error('no tick');
  return Number(rows[0].t);
}

/** Opens the next batch, returns its events (data fields) and finishes it; null when none. */
export async function takeBatch(db: pg.ClientBase, queue: string, consumer: string): Promise<QueueEvent[] | null> {
  const b = await nextBatch(db, queue, consumer);
  if (!b) return null;
  const events = await getBatchEvents(db, b.batchId);
  await finishBatch(db, b.batchId);
  return events;
}

/** Every batch available now, as lists of ev_data. */
export async function takeAll(db: pg.ClientBase, queue: string, consumer: string): Promise<string[][]> {
  const out: string[][] = [];
  for (;;) {
    const evs = await takeBatch(db, queue, consumer);
    if (!evs) return out;
    out.push(evs.map((e) => e.data ?? ''));
  }
}
