/**
 * pause / resume of a leaf's consumer while a load writes on the root:
 * paused, no run applies anything (status says so); resumed, it goes on
 * from where it stopped and loses nothing.
 */
import { describe, expect, it } from 'vitest';
import { readPosition } from '../../lib/replica/position.ts';
import { connect } from '../../lib/db/connect.ts';
import { cli, startLoad } from '../helpers/load.ts';
import { checksum, consume, replicatedPair, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

describe('pause and resume', () => {
  it('stops and restarts a leaf consumer while writes go on', async () => {
    const { root, leaf } = await replicatedPair('pause', 'create table public.t (id int primary key, v text, n int)', 'public.t',
      `insert into t select g, 'v' || g, g from generate_series(1, 20000) g`);
    const load = startLoad(root, leaf);
    const position = async () => {
      const db = await connect(leaf.db);
      try {
        return (await readPosition(db, leaf.queueName, leaf.jobName))!.tick;
      } finally {
        await db.end();
      }
    };
    try {
      await load.more(30);
      const paused = await cli(leaf, 'pause');
      expect(paused).toEqual({
        code: 0, out: '',
        err: `INFO Waiting for the consumer of node "${leaf.jobName}" to stop\nINFO Node "${leaf.jobName}" paused\n`,
      });
      const at = await position();
      await load.more(50);
      await tick(root);
      // The load's own applier runs consumers for this leaf too: a run of ours may find the lock taken by one of them.
      let r = await consume(root, leaf);
      for (let i = 0; r.busy && i < 50; i++) r = await consume(root, leaf);
      expect(r).toMatchObject({ busy: false, paused: true, batches: 0, events: 0, moreWork: false });
      expect(await position()).toBe(at);

      const status = await run(leaf, 'status');
      expect(status.log.find((l) => l.includes('Paused'))).toMatch(/^INFO {7}Tables: 1\/0\/0 {2}Lag: \d+s, Tick: \d+, Pending: \d+, Paused$/);
      expect(status.data).toEqual([expect.objectContaining({ node: root.jobName, paused: false }), expect.objectContaining({ node: leaf.jobName, paused: true })]);
      expect(await cli(leaf, 'pause')).toEqual({ code: 0, out: '', err: `INFO Node "${leaf.jobName}" is already paused\n` });
      expect(await cli(leaf, 'compare')).toEqual({ code: 1, out: '', err: 'ERROR This node is paused: resume it first\n' });
      expect(await position()).toBe(at);

      expect(await cli(leaf, 'resume')).toEqual({ code: 0, out: '', err: `INFO Node "${leaf.jobName}" resumed\n` });
      await load.more(30);
      // compare applies the batches up to a tick of its own, after all those of the pause.
      expect((await cli(leaf, 'compare')).code).toBe(0);
      expect(await position()).toBeGreaterThan(at);
    } finally {
      await load.stop();
    }
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
    expect((await run(leaf, 'status')).log.some((l) => l.includes('Paused'))).toBe(false);
  }, 240_000);

  it('refuses pause and resume on a root', async () => {
    const { root } = await replicatedPair('pauseroot', 'create table public.t (id int primary key)', 'public.t');
    for (const c of ['pause', 'resume']) {
      expect(await cli(root, c)).toEqual({ code: 1, out: '', err: `ERROR Node "${root.jobName}" is a root; this command needs a leaf\n` });
    }
    expect((await sql(root.db, 'select node_paused from lambdiste.node'))[0]!.node_paused).toBe(false);
  });
});
