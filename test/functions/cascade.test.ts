/**
 * A cascade in the Lambda shape: root → branch → leaf in the topology
 * document, set up through the admin function, replicated by the ticker
 * function (the root's ticks, the branch's maintenance and wakes) and the
 * consumer function (the branch's run feeds its queue and wakes the leaf)
 * while a load writes on the root.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { handler as ticker } from '../../functions/ticker.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import { parseTopology } from '../../lib/topology.ts';
import { createDatabase } from '../helpers/db.ts';
import { checksum, sql } from '../helpers/nodes.ts';
import { call } from '../helpers/functions.ts';

const ddl = 'create table public.t (id int primary key, v text)';
let invoker: InProcessInvoker;
const db: Record<string, string> = {};


beforeAll(async () => {
  db.src = await createDatabase('provider', 'fnc_src');
  db.br = await createDatabase('subscriber', 'fnc_br');
  db.dst = await createDatabase('subscriber', 'fnc_dst');
  for (const url of Object.values(db)) await sql(url, ddl);
  await sql(db.src, `insert into t select g, 'v' || g from generate_series(1, 500) g`);
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: [
      { name: 'src', type: 'root', queue: 'replika', db: db.src },
      { name: 'br', type: 'branch', queue: 'replika', provider: 'src', db: db.br },
      { name: 'dst', type: 'leaf', queue: 'replika', provider: 'br', db: db.dst },
    ],
  });
  process.env.LAMBDISTE_TICK_PERIOD_MS = '50';
  process.env.LAMBDISTE_SAFETY_MS = '200';
  resetTopology();
  invoker = new InProcessInvoker((event) => consumer(event as never, localContext('consumer', 20_000) as never));
  setInvoker(invoker);
});

afterAll(async () => {
  await invoker.drain();
  await closePools();
});

it('the functions replicate root → branch → leaf under load, and status shows the tree', async () => {
  for (const [node, command, args] of [
    ['src', 'create-root', []], ['src', 'add-table', ['t']],
    ['br', 'create-branch', []], ['br', 'add-table', ['t']],
    ['dst', 'create-leaf', []], ['dst', 'add-table', ['t']],
  ] as const) {
    const r = await call(admin, { node, command, args: [...args] });
    expect(r.ok, `${node} ${command}: ${JSON.stringify(r.log ?? r.error)}`).toBe(true);
  }
  let stop = false;
  let writes = 0;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      await sql(db.src!, `insert into t values (${1000 + i}, 'w'); update t set v = 'u${i}' where id = ${1 + (i % 500)}; delete from t where id = ${1000 + i - 3}`);
      writes++;
    }
  })();
  // Ticker rounds (root and branch) until the load has written enough, then until the leaf equals the root.
  for (let round = 0; round < 60; round++) {
    await call(ticker, {}, 700);
    await invoker.drain();
    if (writes >= 50) stop = true;
    if (stop) {
      await load;
      await sql(db.src!, `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
      await invoker.drain();
      const src = await checksum(db.src!, 't');
      if ((await checksum(db.br!, 't')) === src && (await checksum(db.dst!, 't')) === src) break;
    }
  }
  expect(invoker.errors).toEqual([]);
  const want = await checksum(db.src!, 't');
  expect(await checksum(db.br!, 't')).toBe(want);
  expect(await checksum(db.dst!, 't')).toBe(want);
  const st = await call(admin, { node: 'dst', command: 'status' });
  expect((st.data as { node: string; depth: number; tables: string }[]).map((r) => [r.node, r.depth, r.tables])).toEqual([
    ['src', 0, '1/0/0'], ['br', 1, '1/0/0'], ['dst', 2, '1/0/0'],
  ]);
  expect(await call(ticker, { nodes: ['dst'] })).toMatchObject({ ok: false, error: 'Node "dst" is a leaf: only roots and branches are ticked' });
}, 180_000);

it('the topology takes branches under branches, and refuses a leaf as provider and cycles', () => {
  const parse = (nodes: unknown) => () => parseTopology(JSON.stringify({ nodes }), 'LAMBDISTE_NODES');
  const t = parse([
    { name: 'r', type: 'root', queue: 'q', db: 'x' },
    { name: 'b1', type: 'branch', queue: 'q', db: 'x', provider: 'r' },
    { name: 'b2', type: 'branch', queue: 'q', db: 'x', provider: 'b1' },
    { name: 'l', type: 'leaf', queue: 'q', db: 'x', provider: 'b2' },
  ])();
  expect(t.subscribersOf(t.node('b1')).map((n) => n.name)).toEqual(['b2']);
  expect(t.providerOf(t.node('l')).name).toBe('b2');
  expect(parse([{ name: 'r', type: 'root', queue: 'q', db: 'x' }, { name: 'l', type: 'leaf', queue: 'q', db: 'x', provider: 'r' },
    { name: 'm', type: 'leaf', queue: 'q', db: 'x', provider: 'l' }])).toThrow('node "m": provider "l" is not the root or a branch of queue "q"');
  expect(parse([{ name: 'r', type: 'root', queue: 'q', db: 'x' }, { name: 'a', type: 'branch', queue: 'q', db: 'x', provider: 'b' },
    { name: 'b', type: 'branch', queue: 'q', db: 'x', provider: 'a' }])).toThrow('node "a": its providers make a cycle (a → b → a)');
  expect(parse([{ name: 'b', type: 'branch', queue: 'q', db: 'x' }])).toThrow('node "b": a branch needs "provider"');
});
