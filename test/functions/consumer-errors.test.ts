/**
 * The consumer function on an event the subscriber refuses: it logs the
 * table, event id and message, counts ApplyErrors, records the error for
 * status, answers { ok: false } and does not re-invoke itself; the ticker's
 * wakes retry the leaf with back-off, not at every tick, and once the cause
 * is fixed the leaf catches up.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { InProcessInvoker as Invoker } from '../../lib/invoke/in-process.ts';
import { checksum, replicatedPair, run, sql, tick } from '../helpers/nodes.ts';
import { connect } from '../../lib/db/connect.ts';
import type { NodeConfig } from '../../lib/admin/types.ts';

// Logs and metrics are what this test looks at: on, before the handler's modules load.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
const { handler: consumer } = await import('../../functions/consumer.ts');
const { InProcessInvoker } = await import('../../lib/invoke/in-process.ts');
const { closePools } = await import('../../lib/lambda/pools.ts');
const { localContext, resetTopology, setInvoker } = await import('../../lib/lambda/runtime.ts');
const { consumerWaker } = await import('../../lib/lambda/wake.ts');

let root: NodeConfig;
let leaf: NodeConfig;
let invoker: Invoker;

beforeAll(async () => {
  ({ root, leaf } = await replicatedPair('fn_refused', 'create table public.t (id int primary key, v int)', 't'));
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: [
      { name: root.jobName, type: 'root', queue: 'replika', db: root.db },
      { name: leaf.jobName, type: 'leaf', queue: 'replika', provider: root.jobName, db: leaf.db },
    ],
  });
  resetTopology();
  invoker = new InProcessInvoker((event) => consumer(event as never, localContext('consumer', 20_000) as never));
  setInvoker(invoker);
});

afterAll(async () => {
  await invoker.drain();
  await closePools();
});

/** Runs `fn`, returning the JSON lines (logs, metrics) the process wrote meanwhile. */
async function output<T>(fn: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const written: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write);
  for (const s of streams) s.write = ((chunk: string | Uint8Array) => (written.push(String(chunk)), true)) as typeof s.write;
  try {
    const result = await fn();
    const lines = written.join('').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    return { result, lines };
  } finally {
    streams.forEach((s, i) => (s.write = writes[i]!));
  }
}

it('reports an event the subscriber refuses and is retried by the ticker with back-off until it applies', async () => {
  await sql(leaf.db, 'alter table t add constraint small check (v < 100)');
  await sql(root.db, 'insert into t values (1, 5), (2, 500)');
  await tick(root);

  const { result, lines } = await output(() => consumer({ node: leaf.jobName } as never, localContext('consumer', 20_000) as never));
  const message = /^Cannot apply event (\d+) to public\.t: new row for relation "t" violates check constraint "small"$/;
  expect(result).toMatchObject({ ok: false, error: expect.stringMatching(message), table: 'public.t', eventId: expect.any(Number) });
  const eventId = (result as { eventId: number }).eventId;
  expect(lines).toContainEqual(expect.objectContaining({
    level: 'ERROR', message: 'consumer run failed', node: leaf.jobName, table: 'public.t', eventId, error: expect.stringMatching(message),
  }));
  expect(lines).toContainEqual(expect.objectContaining({ ApplyErrors: 1, ConsumerErrors: 1, node: leaf.jobName }));
  await invoker.drain();
  expect(invoker.invocations).toBe(0); // no self-invocation
  const status = (await run(leaf, 'status')).data as Record<string, unknown>[];
  expect(status[1]).toMatchObject({ last_error: expect.stringMatching(message), error_attempts: 1 });

  // The ticker's waker, after every tick (every 250 ms here, on a clock the test moves).
  // staleMs 0: the open batch of the failed run does not count as a run in progress.
  let now = 0;
  const waker = consumerWaker(invoker, { name: root.jobName, queue: 'replika' } as never, [{ name: leaf.jobName } as never], {
    staleMs: 0, clock: () => now,
  });
  const db = await connect(root.db);
  // Later runs log and count the same: out of the test's output.
  await output(async () => {
    const invokedAt: number[] = [];
    for (; now <= 40_000; now += 250) {
      if ((await waker(db)).length) invokedAt.push(now);
      await invoker.drain();
    }
    expect(invokedAt).toEqual([0, 1000, 3000, 7000, 15_000, 31_000]);
    expect(invoker.errors).toEqual([]);
    const after = (await run(leaf, 'status')).data as Record<string, unknown>[];
    expect(after[1]).toMatchObject({ error_attempts: 1 + invokedAt.length });

    await sql(leaf.db, 'alter table t drop constraint small');
    for (now += 250; (await sql(leaf.db, 'select 1 from t')).length === 0; now += 250) {
      await waker(db);
      await invoker.drain();
      if (now > 200_000) throw new Error('the leaf never caught up');
    }
    expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
    expect(((await run(leaf, 'status')).data as Record<string, unknown>[])[1]).toMatchObject({ last_error: null });

    // Moving again, the leaf is woken at the first tick with a batch waiting.
    await sql(root.db, 'insert into t values (3, 3)');
    await tick(root);
    now += 250;
    expect(await waker(db)).toEqual([leaf.jobName]);
    await invoker.drain();
  }).finally(() => db.end());
});

it('keeps passwords out of its answer, logs and metrics when a database cannot be reached', async () => {
  // The same leaf, its provider named at a port where nothing listens, with a password of its own.
  const password = 'pw-never-printed-7731';
  const gone = new URL(root.db);
  gone.password = password;
  gone.port = '1';
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: [
      { name: root.jobName, type: 'root', queue: 'replika', db: gone.toString() },
      { name: leaf.jobName, type: 'leaf', queue: 'replika', provider: root.jobName, db: leaf.db },
    ],
  });
  resetTopology();
  try {
    const { result, lines } = await output(() => consumer({ node: leaf.jobName } as never, localContext('consumer', 20_000) as never));
    expect(result).toMatchObject({ ok: false, error: expect.any(String) });
    expect(lines).toContainEqual(expect.objectContaining({ ConsumerErrors: 1, node: leaf.jobName }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'consumer run failed' }));
    for (const secret of [password, new URL(leaf.db).password]) {
      expect(JSON.stringify(result)).not.toContain(secret);
      expect(JSON.stringify(lines)).not.toContain(secret);
    }
  } finally {
    process.env.LAMBDISTE_NODES = JSON.stringify({
      nodes: [
        { name: root.jobName, type: 'root', queue: 'replika', db: root.db },
        { name: leaf.jobName, type: 'leaf', queue: 'replika', provider: root.jobName, db: leaf.db },
      ],
    });
    resetTopology();
  }
});
