import { describe, expect, it } from 'vitest';
import { createQueue, insertEvent, registerConsumer, runMaintenance, setQueueConfig } from '../../lib/queue/api.ts';
import { queueDb, takeAll, tickNow } from '../helpers/queue.ts';

const rows = async (db: import('pg').ClientBase, table: string) =>
  Number((await db.query(`select count(*) as n from only ${table}`)).rows[0].n);

/** One full rotation: step 1 then step 2, each in its own transaction. */
async function rotate(db: import('pg').ClientBase): Promise<number> {
  const r1 = Number((await db.query(`select pgq.maint_rotate_tables_step1('q') as r`)).rows[0].r);
  await db.query('select pgq.maint_rotate_tables_step2()');
  return r1;
}

describe('rotation', () => {
  it('switches tables, keeps a lagging consumer\'s events across many rotations, truncates once all are past', async () => {
    const { db } = await queueDb('rotation');
    await createQueue(db, 'q');
    await setQueueConfig(db, 'q', 'rotation_period', '0');
    await registerConsumer(db, 'q', 'fast');
    await registerConsumer(db, 'q', 'slow');

    await insertEvent(db, 'q', { type: 't', data: 'first' });
    await tickNow(db, 'q');
    expect(await rows(db, 'pgq.event_1_0')).toBe(1);
    expect((await takeAll(db, 'q', 'fast')).flat()).toEqual(['first']);

    // Many rotations while "slow" has not read "first": table 0 must never be emptied.
    const expected = ['first'];
    for (let i = 0; i < 7; i++) {
      await rotate(db);
      await insertEvent(db, 'q', { type: 't', data: `r${i}` });
      expected.push(`r${i}`);
      await tickNow(db, 'q');
      expect((await takeAll(db, 'q', 'fast')).flat()).toEqual([`r${i}`]);
    }
    expect(await rows(db, 'pgq.event_1_0')).toBe(1);
    const cur = Number((await db.query(`select queue_cur_table from pgq.queue where queue_name = 'q'`)).rows[0].queue_cur_table);
    expect(cur).not.toBe(0); // rotation did move on, to tables holding nothing slow still needs

    expect((await takeAll(db, 'q', 'slow')).flat()).toEqual(expected);
    // Now everyone is past every event: rotating around empties the old tables.
    for (let i = 0; i < 3; i++) {
      await tickNow(db, 'q');
      await takeAll(db, 'q', 'fast');
      await takeAll(db, 'q', 'slow');
      await rotate(db);
    }
    const total = (await rows(db, 'pgq.event_1_0')) + (await rows(db, 'pgq.event_1_1')) + (await rows(db, 'pgq.event_1_2'));
    expect(total).toBeLessThan(expected.length);
    expect(await rows(db, 'pgq.event_1_0')).toBe(0);
  });

  it('runs rotation through maint_operations and needs step 2 in a later transaction', async () => {
    const { db } = await queueDb('maint');
    await createQueue(db, 'q');
    await setQueueConfig(db, 'q', 'rotation_period', '0');
    const ops1 = await runMaintenance(db);
    expect(ops1).toContain('pgq.maint_rotate_tables_step1(q)');
    const ops2 = await runMaintenance(db);
    expect(ops2).toContain('pgq.maint_rotate_tables_step2');
    await db.query('begin');
    expect((await db.query(`select pgq.maint_rotate_tables_step1('q') as r`)).rows[0].r).toBe(1);
    expect((await db.query('select pgq.maint_rotate_tables_step2() as r')).rows[0].r).toBe(0);
    await db.query('commit');
    expect((await db.query('select pgq.maint_rotate_tables_step2() as r')).rows[0].r).toBe(1);
  });
});
