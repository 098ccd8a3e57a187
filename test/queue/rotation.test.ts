import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { runMaintenance } from '../../lib/queue/api.ts';
import { queuePair, value } from '../helpers/pgq-ref.ts';
import { queueDb, takeAll, tickNow } from '../helpers/queue.ts';

const count = async (db: pg.ClientBase, table: string) => Number(await value(db, `select count(*) from only ${table}`));
const allEvents = async (db: pg.ClientBase) =>
  Number(await value(db, `select count(*) from pgq.event_template`));
const curTable = async (db: pg.ClientBase) => Number(await value(db, `select queue_cur_table from pgq.get_queue_info('q')`));

/**
 * Waits until every transaction begun before now has ended, so that the
 * next tick's snapshot sees them all: PgQ's rule compares a consumer's tick
 * with the last rotation, and transactions of other tests on the same
 * server could otherwise hold the tick's xmin back.
 */
async function settle(db: pg.ClientBase): Promise<void> {
  const now = await value(db, 'select pg_current_xact_id()::text::bigint');
  for (let i = 0; i < 500; i++) {
    if ((await value(db, `select pg_snapshot_xmin(pg_current_snapshot())::text::bigint > $1::bigint`, [now])) === 't') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('transactions begun before now do not end');
}

/** One rotation attempt as pgqd makes it: step 1, then step 2 in its own transaction. */
async function rotate(db: pg.ClientBase): Promise<void> {
  expect(await value(db, `select pgq.maint_rotate_tables_step1('q')`)).toBe('0');
  expect(await value(db, `select pgq.maint_rotate_tables_step2()`)).toBe('0');
  await settle(db);
}

async function setup(db: pg.ClientBase, consumers: string[]): Promise<void> {
  await db.query(`select pgq.create_queue('q')`);
  await db.query(`update pgq.queue set queue_rotation_period = '0'`);
  await settle(db);
  await tickNow(db, 'q');
  for (const c of consumers) await db.query(`select pgq.register_consumer('q', $1)`, [c]);
}

describe('rotation', () => {
  it('waits for the slowest consumer (PgQ\'s rule), keeping its events over any number of attempts, then rotates', async () => {
    const { ours, ref } = await queuePair('rotation');
    const run = async (db: pg.ClientBase) => {
      const seen: unknown[] = [];
      await setup(db, ['fast', 'slow']);
      await db.query(`select pgq.insert_event('q', 't', 'first')`);
      await tickNow(db, 'q');
      seen.push(await takeAll(db, 'q', 'fast'));
      for (let i = 0; i < 4; i++) {
        await rotate(db);
        seen.push(await curTable(db));
        await db.query(`select pgq.insert_event('q', 't', $1)`, [`r${i}`]);
        await tickNow(db, 'q');
        seen.push(await takeAll(db, 'q', 'fast'));
      }
      seen.push(await allEvents(db));
      seen.push(await takeAll(db, 'q', 'slow'));
      // Everyone past every event: rotation goes round, emptying tables.
      for (let i = 0; i < 3; i++) {
        await tickNow(db, 'q');
        await takeAll(db, 'q', 'fast');
        await takeAll(db, 'q', 'slow');
        await rotate(db);
        seen.push(await curTable(db));
      }
      seen.push(await allEvents(db));
      return seen;
    };
    const mine = await run(ours);
    if (ref) expect(mine).toEqual(await run(ref));
    // The first attempt rotates (both consumers are past the queue's creation), the
    // next ones wait for "slow", still at the first table's events.
    expect(mine.slice(0, 10)).toEqual([[['first']], 1, [['r0']], 1, [['r1']], 1, [['r2']], 1, [['r3']], 5]);
    expect(mine[10]).toEqual([['first'], ['r0'], ['r1'], ['r2'], ['r3']]);
    expect(mine.slice(11, 14)).toEqual([2, 0, 1]);
    expect(mine[14]).toBe(0);
  });

  it('never truncates a table holding events of a transaction the slowest consumer does not see yet', async () => {
    const { db } = await queueDb('rotation_late');
    await setup(db, ['c']);
    const stale = await value(db, `select pgq.current_event_table('q')`);
    await rotate(db); // 0 -> 1
    await tickNow(db, 'q');
    await takeAll(db, 'q', 'c');
    await rotate(db); // 1 -> 2
    await tickNow(db, 'q');
    await takeAll(db, 'q', 'c');
    // A producer that kept the table name from before the rotations writes to it.
    await db.query(`insert into ${stale} (ev_time, ev_type, ev_data) values (now(), 't', 'late')`);
    // PgQ's rule would let this rotation truncate table 0 (c is past the last rotation);
    // the table itself still holds an event c's position does not see.
    await rotate(db);
    expect(await curTable(db)).toBe(2);
    expect(await count(db, stale!)).toBe(1);
    await settle(db);
    await tickNow(db, 'q');
    await takeAll(db, 'q', 'c');
    await rotate(db);
    expect(await curTable(db)).toBe(0);
    expect(await count(db, stale!)).toBe(0);
  });

  it('keeps retry events across rotations, and the table they come back to until their consumer has read them', async () => {
    const { ours, ref } = await queuePair('rotation_retry');
    const run = async (db: pg.ClientBase) => {
      const seen: unknown[] = [];
      await setup(db, ['c']);
      await db.query(`select pgq.insert_event('q', 't', 'again')`);
      await tickNow(db, 'q');
      const batch = await value(db, `select pgq.next_batch('q', 'c')`);
      await db.query(`select pgq.event_retry($1, ev_id, now() + interval '1 hour') from pgq.get_batch_events($1)`, [batch]);
      await db.query(`select pgq.finish_batch($1)`, [batch]);
      for (let i = 0; i < 4; i++) {
        await tickNow(db, 'q');
        seen.push(await takeAll(db, 'q', 'c'));
        await rotate(db);
        seen.push(await curTable(db));
      }
      seen.push(await value(db, `select ev_data from pgq.retry_queue`));
      await db.query(`update pgq.retry_queue set ev_retry_after = now() - interval '1 second'`);
      seen.push(await value(db, 'select pgq.maint_retry_events()'));
      // Back in the current table; "c" reads nothing for a while: the table stays.
      const table = await value(db, `select pgq.current_event_table('q')`);
      for (let i = 0; i < 3; i++) await rotate(db);
      seen.push(await count(db, table!));
      await tickNow(db, 'q');
      seen.push(await takeAll(db, 'q', 'c'));
      return seen;
    };
    const mine = await run(ours);
    if (ref) expect(mine).toEqual(await run(ref));
    expect(mine.slice(0, 8)).toEqual([[[]], 1, [[]], 2, [[]], 0, [[]], 1]);
    expect(mine.slice(8)).toEqual(['again', '1', 1, [['again']]]);
  });

  it('runs through maint_operations, and step 2 within step 1\'s transaction does nothing', async () => {
    const { db } = await queueDb('rotation_maint');
    await db.query(`select pgq.create_queue('q')`);
    await db.query(`select pgq.set_queue_config('q', 'rotation_period', '0')`);
    await settle(db);
    const ops = await runMaintenance(db);
    expect(ops.slice(0, 2)).toEqual(['pgq.maint_rotate_tables_step1(q)', 'pgq.maint_rotate_tables_step2']);
    expect(await curTable(db)).toBe(1);
    await settle(db);
    await db.query('begin');
    await db.query(`select pgq.maint_rotate_tables_step1('q'), pgq.maint_rotate_tables_step2()`);
    await db.query('commit');
    expect(await curTable(db)).toBe(2);
    expect(await value(db, `select queue_switch_step2 is null from pgq.queue`)).toBe('t');
    await db.query(`select pgq.maint_rotate_tables_step2()`);
    expect(await value(db, `select queue_switch_step2 > queue_switch_step1 from pgq.queue`)).toBe('t');
  });
});
