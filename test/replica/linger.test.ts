/**
 * A consumer run that lingers from batch to batch under a steady load (the
 * consumer function's shape) must not leave its tables' copy work for its
 * end: a table added on the leaf while it runs is copied and handed over
 * while the run goes on. (Found by bench/lag.ts: a run started by
 * create-leaf lingered for its whole minute, skipping the table's events,
 * so nothing appeared on the leaf.)
 */
import { expect, it } from 'vitest';
import { connect } from '../../lib/db/connect.ts';
import { checksum, consume, makeCluster, run, sql, syncLeaf } from '../helpers/nodes.ts';
import { until } from '../helpers/process.ts';

it('copies a table added while a run lingers under a steady load, before the run ends', async () => {
  const { root, leaves: [leaf] } = await makeCluster('linger', 1);
  const ddl = 'create table public.t (id int primary key, v text)';
  await sql(root.db, `${ddl}; insert into t select g, 'v' || g from generate_series(1, 5000) g`);
  await sql(leaf!.db, ddl);
  for (const [node, command, args, options] of [
    [root, 'create-root', [root.jobName], {}],
    [root, 'add-table', ['t'], {}],
    [leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db }],
  ] as const) {
    expect((await run(node, command, [...args], options)).exitCode).toBe(0);
  }

  // The load: a write and a tick every 50 ms, each tick announced as the ticker does.
  let stopped = false;
  const load = (async () => {
    const db = await connect(root.db);
    try {
      for (let i = 1; !stopped; i++) {
        await db.query(`insert into public.t values (${5000 + i}, 'new ${i}')`);
        await db.query(`update public.t set v = v || '.' where id = ${1 + (i * 37) % 5000}`);
        await db.query(`select pgq.force_tick($1)`, [root.queueName]);
        await db.query(`select pgq.ticker($1)`, [root.queueName]);
        await db.query(`select pg_notify(lambdiste.queue_channel($1, 'tick'), '')`, [root.queueName]);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await db.end();
    }
  })();

  const lastTick = async () =>
    (await sql<{ t: string }>(root.db, 'select last_tick as t from pgq.get_consumer_info($1, $2)', [root.queueName, leaf!.jobName]))[0]!.t;
  const registeredAt = Number(await lastTick());
  let running = true;
  const consumer = consume(root, leaf!, { lingerMs: 1000, deadline: Date.now() + 60_000 }).finally(() => (running = false));
  await until('the run to take a batch', async () => Number(await lastTick()) > registeredAt);
  expect((await run(leaf!, 'add-table', ['t'])).exitCode).toBe(0);

  const state = async () => (await sql(leaf!.db, `select tbl_merge_state as s from lambdiste.table_info where tbl_name = 'public.t'`))[0]?.s;
  await until('the table to be ok on the leaf', async () => (await state()) === 'ok' || !running, 30_000);
  // Handed over by the run that was lingering, not by one after it.
  expect(running).toBe(true);
  expect(await state()).toBe('ok');

  stopped = true;
  await load;
  const r = await consumer;
  expect(r.pendingTables).toBe(0);
  expect(r.copiedRows).toBeGreaterThanOrEqual(5000);
  await syncLeaf(root, leaf!);
  expect(await checksum(leaf!.db, 't')).toBe(await checksum(root.db, 't'));
});
