/**
 * The operations through the admin function while a load writes on the
 * root and the ticker and consumer functions replicate it (root → branch,
 * root → leaf): members, node-status, compare, repair, execute (as the
 * CLI's --via-lambda sends it), pause and resume, change-provider of the
 * leaf to the branch and back, then takeover (one abandoned when the
 * invocation ends first, one that succeeds). The functions read providers
 * from the topology document, so after change-provider and takeover the
 * test edits LAMBDISTE_NODES, as the README says to. Every node ends with
 * the same rows.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { handler as ticker } from '../../functions/ticker.ts';
import { runCommandViaLambda } from '../../lib/admin/remote.ts';
import type { CommandOptions } from '../../lib/admin/types.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import { waitForRunLock } from '../../lib/replica/run-lock.ts';
import { createDatabase, longClient } from '../helpers/db.ts';
import { adminClient, call, type Response } from '../helpers/functions.ts';
import { startLoad } from '../helpers/load.ts';
import { checksum, nodeConfig, sql } from '../helpers/nodes.ts';

const db: Record<string, string> = {};
let invoker: InProcessInvoker;

/** The topology document: [name, type, provider] per node. */
function topology(nodes: [string, 'root' | 'branch' | 'leaf', string?][]): void {
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: nodes.map(([name, type, provider]) => ({ name, type, queue: 'replika', db: db[name], ...(provider ? { provider } : {}) })),
  });
  resetTopology();
}

const adminCall = (node: string, command: string, args: string[] = [], options: CommandOptions = {}, ms = 60_000) =>
  call(admin, { node, command, args, options }, ms);

async function ok(node: string, command: string, args: string[] = [], options: CommandOptions = {}): Promise<Response> {
  const r = await adminCall(node, command, args, options);
  expect(r.ok, `${node} ${command}: ${r.error ?? JSON.stringify(r.log)}`).toBe(true);
  return r;
}

/** What the schedule does: the ticker function for a moment (it ticks the root and wakes the consumers it should). */
async function functions(): Promise<void> {
  const r = await call(ticker, { runForMs: 400 }, 5000);
  expect(r.ok, r.error).toBe(true);
}

/** Rounds of the functions until every subscriber has the root's rows (bounded). */
async function converge(root: string, subscribers: string[]): Promise<void> {
  for (let i = 0; i < 40; i++) {
    await functions();
    await invoker.drain();
    const want = await checksum(db[root]!, 't');
    const have = await Promise.all(subscribers.map((n) => checksum(db[n]!, 't')));
    if (have.every((h) => h === want)) return;
  }
  throw new Error(`${subscribers.join(', ')} did not converge to ${root}`);
}

const position = async (node: string) => Number((await sql(db[node]!, 'select app_tick from lambdiste.applied'))[0]!.app_tick);

beforeAll(async () => {
  db.src = await createDatabase('provider', 'opl_src');
  db.br = await createDatabase('subscriber', 'opl_br');
  db.dst = await createDatabase('subscriber', 'opl_dst');
  for (const url of Object.values(db)) await sql(url, 'create table public.t (id int primary key, v text, n int not null default 0)');
  await sql(db.src, `insert into t select g, 'v' || g from generate_series(1, 3000) g`);
  topology([['src', 'root'], ['br', 'branch', 'src'], ['dst', 'leaf', 'src']]);
  process.env.LAMBDISTE_TICK_PERIOD_MS = '50';
  process.env.LAMBDISTE_SAFETY_MS = '200';
  invoker = new InProcessInvoker((event) => consumer(event as never, localContext('consumer', 5000) as never));
  setInvoker(invoker);
  for (const [node, command, args] of [
    ['src', 'create-root', []], ['src', 'add-table', ['t']],
    ['br', 'create-branch', []], ['br', 'add-table', ['t']],
    ['dst', 'create-leaf', []], ['dst', 'add-table', ['t']],
  ] as const) await ok(node, command, [...args]);
  await converge('src', ['br', 'dst']);
}, 120_000);

afterAll(async () => {
  await invoker.drain();
  await closePools();
});

describe('operations through the admin function under a load', () => {
  it('members, node-status, compare, repair, execute, pause, resume and change-provider while the root is written', async () => {
    const load = startLoad(nodeConfig('src', db.src!), nodeConfig('dst', db.dst!), 'public.t', { round: functions });
    try {
      await load.more(30);

      const members = await ok('dst', 'members');
      expect(members.data).toEqual([
        { node: 'src', type: 'root', provider: null, dead: false },
        { node: 'br', type: 'branch', provider: 'src', dead: false },
        { node: 'dst', type: 'leaf', provider: 'src', dead: false },
      ]);
      expect((await ok('br', 'node-status')).data).toMatchObject({ node: 'br', type: 'branch', provider: 'src', subscribers: [], tables: '1/0/0' });

      // compare, then repair rows broken on the leaf (1..100: the load leaves them alone).
      expect(await ok('dst', 'compare')).toMatchObject({ exitCode: 0, lines: [expect.stringMatching(/^public\.t: ok \(rows=\d+, checksum=-?\d+\)$/)] });
      await sql(db.dst!, `delete from t where id = 5; update t set v = 'broken' where id = 6; insert into t values (-1, 'extra', 0)`);
      expect(await adminCall('dst', 'compare')).toMatchObject({ ok: false, exitCode: 1, lines: [expect.stringMatching(/^public\.t: differs /)] });
      const fixed = await ok('dst', 'repair');
      expect(fixed.lines!.at(-1)).toBe('public.t: repaired (1 inserted, 1 updated, 1 deleted)');
      expect((await ok('dst', 'compare')).exitCode).toBe(0);
      await load.more(20);

      // execute: the file's text goes along, as the CLI's --via-lambda sends it.
      const path = join(mkdtempSync(join(tmpdir(), 'lambdiste-opl-')), 'add_note.sql');
      writeFileSync(path, 'alter table t add column note text');
      const log: string[] = [];
      const ctx = { config: { jobName: 'src', db: db.src!, queueName: 'replika', settings: {} }, log: (l: string, m: string) => log.push(`${l} ${m}`), verbose: false };
      expect((await runCommandViaLambda(ctx as never, 'execute', [path], {}, adminClient as never)).exitCode).toBe(0);
      expect(log).toEqual(['INFO Executing: add_note.sql', 'INFO Execute finished: add_note.sql']);
      await sql(db.src!, `update t set note = 'noted' where id = 7`);
      await load.more(20);

      // pause: the consumer function skips the leaf while the load goes on; resume: it catches up.
      await ok('dst', 'pause');
      const paused = await position('dst');
      await load.more(20);
      expect(await call(consumer, { node: 'dst' })).toMatchObject({ ok: true, paused: true, batches: 0 });
      expect(await position('dst')).toBe(paused);
      await ok('dst', 'resume');
      await expect.poll(() => position('dst'), { timeout: 10_000 }).toBeGreaterThan(paused);

      // change-provider to the branch and back; the topology follows each move.
      const toBranch = await ok('dst', 'change-provider', [], { provider: 'br' });
      expect(toBranch.log!.at(-2)!.message).toMatch(/^Node "dst" now reads from "br", after tick \d+$/);
      topology([['src', 'root'], ['br', 'branch', 'src'], ['dst', 'leaf', 'br']]);
      await load.more(30);
      expect((await ok('br', 'node-status')).data).toMatchObject({ provider: 'src', subscribers: ['dst'] });
      expect((await ok('dst', 'compare')).exitCode).toBe(0);
      const back = await ok('dst', 'change-provider', [], { provider: 'src' });
      expect(back.log!.at(-2)!.message).toMatch(/^Node "dst" now reads from "src", after tick \d+$/);
      topology([['src', 'root'], ['br', 'branch', 'src'], ['dst', 'leaf', 'src']]);
      await load.more(30);
    } finally {
      await load.stop();
    }
    expect(load.done()).toBeGreaterThan(150);
    await converge('src', ['br', 'dst']);
    expect(invoker.errors).toEqual([]);
    const want = await checksum(db.src!, 't');
    expect(await checksum(db.br!, 't')).toBe(want);
    expect(await checksum(db.dst!, 't')).toBe(want);
    expect(await sql(db.dst!, 'select note from t where id = 7')).toEqual([{ note: 'noted' }]);
    const st = (await ok('dst', 'status')).data as { node: string; provider: string | null }[];
    expect(st.map((r) => [r.node, r.provider])).toEqual([['src', null], ['br', 'src'], ['dst', 'src']]);
  }, 180_000);

  it('takeover: abandoned when the invocation ends first, then done; the functions follow the edited topology', async () => {
    // No load during the takeovers (startLoad's writer stops at the old root's refusal of writes); a load
    // on the new root afterwards. test/replica/cascade.test.ts takes over while the old root is written.
    // The branch's consumer cannot run (its run lock is held, once its run in flight ends): the last tick is never applied.
    const holder = await longClient(db.br!);
    const lock = await waitForRunLock(holder, 'replika/br', Date.now() + 10_000);
    try {
      const started = Date.now();
      const r = await adminCall('br', 'takeover', ['src'], {}, 4000);
      expect(Date.now() - started).toBeLessThan(3500);
      expect(r).toMatchObject({ ok: false, error: expect.stringMatching(/^Takeover abandoned: Timed out waiting for "br" to apply tick \d+$/) });
    } finally {
      await lock!.release();
      await holder.end();
    }
    expect(await sql(db.src!, `select queue_disable_insert, queue_ticker_paused from pgq.queue`)).toEqual([
      { queue_disable_insert: false, queue_ticker_paused: false },
    ]);
    await sql(db.src!, `update t set v = 'after the abandoned takeover' where id = 8`);
    await converge('src', ['br', 'dst']);

    // The branch's consumer function applies the last tick (the ticker function wakes it) while the takeover waits.
    let done = false;
    const takeover = adminCall('br', 'takeover', ['src']).finally(() => (done = true));
    while (!done) await functions();
    const t = await takeover;
    expect(t.ok, t.error ?? JSON.stringify(t.log)).toBe(true);
    expect(t.log!.map((l) => l.message).at(-1)).toBe('Done');
    await expect(sql(db.src!, `insert into t values (-2, 'refused', 0)`)).rejects.toThrow(/Insert into queue disallowed/);

    // As the README says: the topology document follows. Then a load on the new root reaches both.
    topology([['br', 'root'], ['src', 'branch', 'br'], ['dst', 'leaf', 'src']]);
    const load = startLoad(nodeConfig('br', db.br!), nodeConfig('dst', db.dst!), 'public.t', { round: functions });
    try {
      await load.more(40);
      expect((await ok('src', 'node-status')).data).toMatchObject({ node: 'src', type: 'branch', provider: 'br', subscribers: ['dst'] });
      expect((await ok('dst', 'compare')).exitCode).toBe(0);
    } finally {
      await load.stop();
    }
    await converge('br', ['src', 'dst']);
    expect(invoker.errors).toEqual([]);
    const want = await checksum(db.br!, 't');
    expect(await checksum(db.src!, 't')).toBe(want);
    expect(await checksum(db.dst!, 't')).toBe(want);
    const st = (await ok('dst', 'status')).data as { node: string; type: string; provider: string | null }[];
    expect(st.map((r) => [r.node, r.type, r.provider])).toEqual([['br', 'root', null], ['src', 'branch', 'br'], ['dst', 'leaf', 'src']]);
  }, 180_000);
});
