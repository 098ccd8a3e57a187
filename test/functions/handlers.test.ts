/**
 * The three Lambda handlers, invoked in process with a real time budget:
 * admin commands, the ticker waking consumers, consumers applying, bad
 * events, deadlines, duplicate invocations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { handler as ticker } from '../../functions/ticker.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import { parseTopology, secretToUrl } from '../../lib/topology.ts';
import { createDatabase } from '../helpers/db.ts';
import { checksum, sql } from '../helpers/nodes.ts';
import { call } from '../helpers/functions.ts';

const ddl = 'create table public.t (id int primary key, v text)';
let invoker: InProcessInvoker;
let root: string;
let leaf: string;


beforeAll(async () => {
  root = await createDatabase('provider', 'fn_root');
  leaf = await createDatabase('subscriber', 'fn_leaf');
  await sql(root, ddl + `; insert into t select g, 'v' || g from generate_series(1, 1000) g`);
  await sql(leaf, ddl);
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: [
      { name: 'src', type: 'root', queue: 'replika', db: root },
      { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: leaf },
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

describe('functions', () => {
  it('admin sets up both nodes and returns results as data', async () => {
    expect((await call(admin, { node: 'src', command: 'create-root' })).ok).toBe(true);
    expect((await call(admin, { node: 'src', command: 'add-table', args: ['public.t'] })).log).toEqual([
      { level: 'INFO', message: 'Table added: public.t' },
    ]);
    expect((await call(admin, { node: 'dst', command: 'create-leaf' })).ok).toBe(true);
    expect((await call(admin, { node: 'dst', command: 'add-table', args: ['public.t'] })).ok).toBe(true);
    const tables = await call(admin, { node: 'dst', command: 'tables' });
    // Its merge_state moves on its own: add-table on a leaf wakes its consumer.
    const [t] = tables.tables as { title: string; rows: unknown[][] }[];
    expect([t!.title, t!.rows.map((r) => r[0])]).toEqual(['Tables on node', ['public.t']]);
    const bad = await call(admin, { node: 'src', command: 'add-table', args: ['public.missing'] });
    expect(bad).toMatchObject({ ok: false, exitCode: 1 });
    expect(bad.log).toEqual([{ level: 'WARNING', message: 'public.missing not available' }, { level: 'ERROR', message: 'Cannot proceed' }]);
  });

  it('the ticker ticks until its deadline and wakes the consumer, which converges the leaf', async () => {
    await sql(root, `update t set v = 'changed' where id % 3 = 0; delete from t where id % 10 = 0; insert into t values (5000, 'new')`);
    const started = Date.now();
    const r = await call(ticker, { source: 'lambdiste.ticker' }, 1500);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.ok).toBe(true);
    await invoker.drain();
    // A second round: the handover of the copied table happens at the next batch.
    await call(ticker, {}, 800);
    await invoker.drain();
    expect(invoker.errors).toEqual([]);
    expect(invoker.invocations).toBeGreaterThan(0);
    expect(await checksum(leaf, 't')).toBe(await checksum(root, 't'));
    const tables = await call(admin, { node: 'dst', command: 'tables' });
    expect((tables.tables as { rows: unknown[][] }[])[0]!.rows[0]![1]).toBe('ok');
  });

  it('duplicate and concurrent consumer invocations change nothing extra', async () => {
    await sql(root, `insert into t select g, 'dup' from generate_series(6000, 6999) g`);
    await sql(root, `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
    const runs = await Promise.all([1, 2, 3].map(() => call(consumer, { node: 'dst' })));
    expect(runs.every((r) => r.ok)).toBe(true);
    expect(runs.filter((r) => r.busy === false).length).toBeGreaterThanOrEqual(1);
    // 1,000 rows of one statement are 5 events of 200 rows, applied once in all.
    expect(runs.reduce((n, r) => n + Number(r.events), 0)).toBe(5);
    expect(await checksum(leaf, 't')).toBe(await checksum(root, 't'));
  });

  it('two ticker invocations at once write no duplicate or out-of-order ticks', async () => {
    await sql(root, `update t set v = 'twice' where id < 50`);
    const runs = await Promise.all([call(ticker, {}, 1200), call(ticker, {}, 1200)]);
    expect(runs.every((r) => r.ok)).toBe(true);
    const ticks = await sql(root, `select tick_id, pg_snapshot_xmax(tick_snapshot)::text::bigint as xmax from pgq.tick order by tick_id`);
    for (let i = 1; i < ticks.length; i++) expect(Number(ticks[i]!.xmax)).toBeGreaterThanOrEqual(Number(ticks[i - 1]!.xmax));
    await invoker.drain();
    await call(ticker, {}, 600);
    await invoker.drain();
    expect(await checksum(leaf, 't')).toBe(await checksum(root, 't'));
  });

  it('a consumer with a short deadline stops before it with nothing half done; the next continues', async () => {
    await sql(root, `insert into t select g, 'big' from generate_series(10000, 39999) g`);
    await sql(root, `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
    process.env.LAMBDISTE_SAFETY_MS = '5000';
    try {
      const r = await call(consumer, { node: 'dst' }, 5300);
      expect(r.ok).toBe(true);
    } finally {
      process.env.LAMBDISTE_SAFETY_MS = '200';
    }
    await invoker.drain(); // it re-invoked itself for the rest
    expect(await checksum(leaf, 't')).toBe(await checksum(root, 't'));
  });

  it('answers bad events with a clear error', async () => {
    expect(await call(consumer, {})).toMatchObject({ ok: false, error: 'Event object failed validation' });
    expect(await call(consumer, { node: 'nobody' })).toMatchObject({ ok: false, error: 'Unknown node "nobody" (known: src, dst)' });
    expect(await call(consumer, { node: 'src' })).toMatchObject({ ok: false, error: 'Node "src" is a root: only branches and leaves have consumers' });
    expect(await call(admin, { node: 'src' })).toMatchObject({ ok: false, error: 'Event object failed validation' });
    expect(await call(admin, { node: 'src', command: 'worker' })).toMatchObject({ ok: false, error: expect.stringContaining('runs as its own function') });
    expect(await call(admin, { node: 'src', command: 'frobnicate' })).toMatchObject({ ok: false, error: 'Unknown command: frobnicate' });
    expect(await call(ticker, { nodes: ['dst'] })).toMatchObject({ ok: false, error: 'Node "dst" is a leaf: only roots and branches are ticked' });
    expect(await call(ticker, { surprise: 1 })).toMatchObject({ ok: false, error: 'Event object failed validation' });
  });
});

describe('topology', () => {
  it('is validated with messages that name the node and the key', () => {
    const bad = (nodes: unknown) => () => parseTopology(JSON.stringify({ nodes }), 'LAMBDISTE_NODES');
    expect(() => parseTopology('{', 'LAMBDISTE_NODES')).toThrow('LAMBDISTE_NODES: not valid JSON');
    expect(bad([])).toThrow('expected {"nodes": [...]} with at least one node');
    expect(bad([{ name: 'a', type: 'twig', queue: 'q', db: 'x' }])).toThrow('node "a": "type" must be "root", "branch" or "leaf"');
    expect(bad([{ name: 'a', type: 'root', queue: 'q' }])).toThrow('node "a": needs "db" or "secretArn"');
    expect(bad([{ name: 'a', type: 'leaf', queue: 'q', db: 'x' }])).toThrow('node "a": a leaf needs "provider"');
    expect(bad([{ name: 'a', type: 'leaf', queue: 'q', db: 'x', provider: 'b' }])).toThrow('provider "b" is not a node');
    expect(bad([{ name: 'a', type: 'root', queue: 'q', db: 'x', pasword: 'y' }])).toThrow('node "a": unknown key "pasword"');
    expect(bad([{ name: 'a', type: 'root', queue: 'q', db: 'x' }, { name: 'b', type: 'root', queue: 'q', db: 'y' }])).toThrow('queue "q" has two roots');
  });
});

describe('secrets', () => {
  it('turn a Secrets Manager value (a URL or RDS-style JSON) into a connection URL', () => {
    expect(secretToUrl('postgres://u:p@h:5432/d', 'arn')).toBe('postgres://u:p@h:5432/d');
    const url = new URL(secretToUrl(JSON.stringify({ username: 'app', password: 'p@ss w:rd', host: 'db.example', port: 6432, dbname: 'digoal_01' }), 'arn'));
    expect([url.hostname, url.port, url.pathname, decodeURIComponent(url.username), decodeURIComponent(url.password)]).toEqual([
      'db.example', '6432', '/digoal_01', 'app', 'p@ss w:rd',
    ]);
    expect(() => secretToUrl('{"host":"h"}', 'arn:x')).toThrow('Secret arn:x lacks "username"');
    expect(() => secretToUrl('not a secret', 'arn:x')).toThrow('Secret arn:x is neither a postgres:// URL nor JSON');
  });
});
