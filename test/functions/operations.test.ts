/**
 * compare, repair, execute, pause and resume through the admin function
 * (the same command table as the CLI), the CLI's --via-lambda path for
 * execute (the files' texts go along), and the consumer function skipping
 * a paused node, with writes going on between the commands; a command
 * that waits stops before its invocation ends.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { runCommandViaLambda } from '../../lib/admin/remote.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { takeRunLock } from '../../lib/replica/run-lock.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import { createDatabase, longClient } from '../helpers/db.ts';
import { adminClient, call } from '../helpers/functions.ts';
import { checksum, sql } from '../helpers/nodes.ts';

let invoker: InProcessInvoker;
let root: string;
let leaf: string;

/** Ticks on the root and runs the consumer function until it has nothing left. */
async function converge(): Promise<void> {
  for (let i = 0; i < 5; i++) {
    await sql(root, `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
    const r = await call(consumer, { node: 'dst' });
    expect(r.ok).toBe(true);
  }
  await invoker.drain();
}

beforeAll(async () => {
  root = await createDatabase('provider', 'ops_root');
  leaf = await createDatabase('subscriber', 'ops_leaf');
  const ddl = 'create table public.t (id int primary key, v text)';
  await sql(root, ddl + `; insert into t select g, 'v' || g from generate_series(1, 2000) g`);
  await sql(leaf, ddl);
  process.env.LAMBDISTE_NODES = JSON.stringify({
    nodes: [
      { name: 'src', type: 'root', queue: 'replika', db: root },
      { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: leaf },
    ],
  });
  process.env.LAMBDISTE_SAFETY_MS = '200';
  resetTopology();
  invoker = new InProcessInvoker((event) => consumer(event as never, localContext('consumer', 20_000) as never));
  setInvoker(invoker);
  for (const [node, command, args] of [['src', 'create-root'], ['src', 'add-table', ['public.t']], ['dst', 'create-leaf'], ['dst', 'add-table', ['public.t']]] as const) {
    expect((await call(admin, { node, command, args })).ok).toBe(true);
  }
  await invoker.drain();
  await converge();
});

afterAll(async () => {
  await invoker.drain();
  await closePools();
});

describe('operations through the admin function', () => {
  it('compare and repair return their lines; bad input is an error', async () => {
    await sql(root, `update t set v = 'busy' where id > 1000`);
    const ok = await call(admin, { node: 'dst', command: 'compare' });
    expect(ok).toMatchObject({ ok: true, exitCode: 0, lines: [expect.stringMatching(/^public\.t: ok \(rows=2000, checksum=-?\d+\)$/)] });
    expect(ok.log!.map((l) => l.message).slice(0, 3)).toEqual(['Locking public.t', 'Syncing public.t', 'Counting public.t']);

    await sql(leaf, `delete from t where id = 1`);
    const differs = await call(admin, { node: 'dst', command: 'compare', args: ['t'] });
    expect(differs).toMatchObject({ ok: false, exitCode: 1, lines: [expect.stringMatching(/^public\.t: differs /)] });
    const dry = await call(admin, { node: 'dst', command: 'repair', options: { dryRun: true } });
    expect(dry).toMatchObject({ ok: true, lines: [`insert into public.t (id, v) values ('1', 'v1');`] });
    const fixed = await call(admin, { node: 'dst', command: 'repair' });
    expect(fixed.lines).toEqual([`insert into public.t (id, v) values ('1', 'v1');`, 'public.t: repaired (1 inserted, 0 updated, 0 deleted)']);
    expect((await call(admin, { node: 'dst', command: 'compare' })).ok).toBe(true);

    expect(await call(admin, { node: 'src', command: 'compare' })).toMatchObject({ ok: false, error: 'Node "src" is a root; this command needs a leaf' });
    expect(await call(admin, { node: 'dst', command: 'compare', args: ['nope'] })).toMatchObject({ ok: false, error: 'Table not replicated on this node: public.nope' });
  });

  it('execute: through the CLI --via-lambda path the file texts go along; the leaf runs them in the stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lambdiste-ops-'));
    const path = join(dir, 'add_note.sql');
    writeFileSync(path, `alter table t add column note text`);
    const log: string[] = [];
    const ctx = { config: { jobName: 'src', db: root, queueName: 'replika', settings: {} }, log: (l: string, m: string) => log.push(`${l} ${m}`), verbose: false };
    await sql(root, `update t set v = 'before' where id = 2`);
    const r = await runCommandViaLambda(ctx as never, 'execute', [path], {}, adminClient as never);
    expect(r.exitCode).toBe(0);
    expect(log).toEqual(['INFO Executing: add_note.sql', 'INFO Execute finished: add_note.sql']);
    await sql(root, `update t set v = 'after', note = 'noted' where id = 3`);
    await converge();
    expect(await sql(leaf, 'select id, v, note from t where id in (2, 3) order by id')).toEqual([
      { id: 2, v: 'before', note: null }, { id: 3, v: 'after', note: 'noted' },
    ]);
    expect(await checksum(leaf, 't')).toBe(await checksum(root, 't'));
    // A file that does not exist: nothing is sent.
    await expect(runCommandViaLambda(ctx as never, 'execute', [join(dir, 'nope.sql')], {}, adminClient as never))
      .rejects.toThrow(`File not found: ${join(dir, 'nope.sql')}`);
    expect(await call(admin, { node: 'dst', command: 'execute', args: ['x.sql'], options: { files: JSON.stringify([{ name: 'x.sql', sql: 'select 1' }]) } }))
      .toMatchObject({ ok: false, error: 'Node "dst" is a leaf; this command needs a root' });
  });

  it('pause: the consumer function skips the node until resume', async () => {
    expect((await call(admin, { node: 'dst', command: 'pause' })).ok).toBe(true);
    await sql(root, `update t set v = 'while paused' where id <= 10`);
    await sql(root, `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
    expect(await call(consumer, { node: 'dst' })).toMatchObject({ ok: true, paused: true, batches: 0 });
    expect((await sql(leaf, `select count(*)::int as n from t where v = 'while paused'`))[0]!.n).toBe(0);
    const status = await call(admin, { node: 'dst', command: 'status' });
    expect(status.data).toEqual([expect.objectContaining({ node: 'src' }), expect.objectContaining({ node: 'dst', paused: true })]);
    expect((await call(admin, { node: 'dst', command: 'resume' })).ok).toBe(true);
    await invoker.drain();
    await converge();
    expect((await sql(leaf, `select count(*)::int as n from t where v = 'while paused'`))[0]!.n).toBe(10);
  });

  it('a command waits no longer than its invocation: pause while a consumer run holds the node', async () => {
    // A consumer run in flight, as far as pause can tell: the node's run lock is held.
    const holder = await longClient(leaf);
    const lock = await takeRunLock(holder, 'replika/dst');
    expect(lock).not.toBeNull();
    try {
      const started = Date.now();
      // pause waits up to 2 minutes for a run to end; this invocation has 4 s.
      const r = await call(admin, { node: 'dst', command: 'pause' }, 4000);
      expect(Date.now() - started).toBeLessThan(3500);
      expect(r).toMatchObject({ ok: false, error: 'The consumer of this node stayed busy: try again' });
    } finally {
      await lock!.release();
      await holder.end();
    }
    expect((await call(admin, { node: 'dst', command: 'resume' })).ok).toBe(true);
    await invoker.drain();
    await sql(root, `update t set v = 'after the wait' where id = 4`);
    await converge();
    expect(await checksum(leaf, 't')).toBe(await checksum(root, 't'));
  });
});
