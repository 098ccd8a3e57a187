/**
 * The scheduled ticker function, asleep after an idle spell, is woken by
 * the first capture (lambdiste.wake_ticker; on AWS through aws_lambda.invoke,
 * here through the local runtime's emulation of it): the change arrives
 * without waiting for the schedule, which in this test would take ten
 * minutes.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { startTickerSchedule } from '../../lib/lambda/local-schedule.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import { createDatabase } from '../helpers/db.ts';
import { sql } from '../helpers/nodes.ts';
import { until } from '../helpers/process.ts';

let invoker: InProcessInvoker;
let root: string;
let leaf: string;

beforeAll(async () => {
  root = await createDatabase('provider', 'wake_root');
  leaf = await createDatabase('subscriber', 'wake_leaf');
  for (const db of [root, leaf]) await sql(db, 'create table public.t (id int primary key)');
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: [
      { name: 'src', type: 'root', queue: 'replika', db: root },
      { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: leaf },
    ],
  });
  process.env.LAMBDISTE_TICKER_IDLE_EXIT_MS = '500';
  resetTopology();
  invoker = new InProcessInvoker((event) => consumer(event as never, localContext('consumer', 20_000) as never));
  setInvoker(invoker);
  for (const [node, command, args] of [['src', 'create-root', []], ['src', 'add-table', ['t']], ['dst', 'create-leaf', []], ['dst', 'add-table', ['t']]] as const) {
    const r = (await admin({ node, command, args: [...args] } as never, localContext('admin', 30_000) as never)) as { ok: boolean };
    expect(r.ok).toBe(true);
  }
});

afterAll(async () => {
  delete process.env.LAMBDISTE_TICKER_IDLE_EXIT_MS;
  await invoker.drain();
  await closePools();
});

it('wakes the ticker function that went to sleep, at the first change', async () => {
  const schedule = await startTickerSchedule({ roots: [{ url: root, queue: 'replika' }], periodMs: 600_000 });
  try {
    const asleep = async () => (await sql(root, 'select wake_awake_until < now() as asleep from lambdiste.ticker_wake'))[0]?.asleep === true;
    for (let id = 1; id <= 3; id++) {
      await until('the ticker to go to sleep', asleep);
      await sql(root, 'insert into t values ($1)', [id]);
      await until(`row ${id} on the leaf`, async () => (await sql(leaf, 'select count(*)::int as n from t'))[0]!.n === id, 20_000);
    }
    expect(schedule.wakes).toBeGreaterThanOrEqual(3);
    expect(schedule.invocations).toBe(1 + schedule.wakes);
  } finally {
    await schedule.stop();
  }
});
