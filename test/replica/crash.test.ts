/**
 * Exactly-once under crashes: the consumer is stopped at every step
 * boundary and run again. An ALWAYS trigger on the subscriber (it fires
 * even during apply) counts row writes, so a batch applied twice would
 * show as more writes than on a leaf that never crashed.
 */
import { describe, expect, it } from 'vitest';
import type { Failpoint } from '../../lib/replica/batch.ts';
import { nextChunkRows } from '../../lib/replica/copy-work.ts';
import { InjectedCrash } from '../../lib/replica/errors.ts';
import { checksum, consume, makeCluster, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const ddl = `create table public.acct (id int primary key, owner text, balance numeric, note text);`;
const counter = `
  create table public.writes (n bigint not null);
  insert into public.writes values (0);
  create function public.count_write() returns trigger language plpgsql as $$
  begin update public.writes set n = n + 1; return null; end $$;
  create trigger count_write after insert or update or delete on public.acct
    for each row execute function public.count_write();
  alter table public.acct enable always trigger count_write;`;

async function setup(prefix: string) {
  const { root, leaves } = await makeCluster(prefix, 2);
  await sql(root.db, ddl + `insert into acct select g, 'o' || g, g, null from generate_series(1, 3000) g;`);
  for (const leaf of leaves) await sql(leaf.db, ddl + counter);
  expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
  expect((await run(root, 'add-table', ['acct'])).exitCode).toBe(0);
  for (const leaf of leaves) {
    expect((await run(leaf, 'create-leaf', [leaf.jobName], { provider: root.db })).exitCode).toBe(0);
    expect((await run(leaf, 'add-table', ['acct'])).exitCode).toBe(0);
  }
  return { root, leaves: leaves as [typeof leaves[0], typeof leaves[0]] };
}

const workload = `
  update acct set balance = balance + 1 where id % 7 = 0;
  delete from acct where id % 11 = 0;
  insert into acct select g, 'new' || g, 0, 'x' from generate_series(3001, 3500) g;
  update acct set id = id + 100000 where id between 100 and 150;`;

describe('crash injection', () => {
  const points: Failpoint[] = ['after-read', 'mid-apply', 'after-commit'];
  for (const point of points) {
    it(`loses nothing and applies nothing twice when stopped ${point}`, async () => {
      const { root, leaves: [steady, crashy] } = await setup(`crash_${point.replace('-', '_')}`);
      await syncLeaf(root, steady);
      await syncLeaf(root, crashy);
      const before = Number((await sql(crashy.db, 'select n from writes'))[0]!.n);
      expect(before).toBe(Number((await sql(steady.db, 'select n from writes'))[0]!.n));

      await sql(root.db, workload);
      await tick(root);
      let crashed = 0;
      await expect(
        consume(root, crashy, { failpoint: (p) => { if (p === point && crashed++ === 0) throw new InjectedCrash(p); } }),
      ).rejects.toThrow(InjectedCrash);
      expect(crashed).toBeGreaterThan(0);
      await syncLeaf(root, crashy);
      await syncLeaf(root, steady);

      const want = await checksum(root.db, 'acct');
      expect(await checksum(crashy.db, 'acct')).toBe(want);
      expect(await checksum(steady.db, 'acct')).toBe(want);
      const [w1, w2] = await Promise.all([sql(steady.db, 'select n from writes'), sql(crashy.db, 'select n from writes')]);
      expect(Number(w2[0]!.n)).toBe(Number(w1[0]!.n));
    });
  }

  it('applies a batch too large for one run in pieces, each committed with its progress', async () => {
    const { root, leaves: [steady, piecemeal] } = await setup('crash_pieces');
    await syncLeaf(root, steady);
    await syncLeaf(root, piecemeal);
    await sql(root.db, `update acct set balance = balance * 2`);
    await tick(root);
    let now = 0;
    // The UPDATE of 3,000 rows is 15 events of 200 rows: pages of 5 events.
    const r = await consume(root, piecemeal, {
      pageSize: 5, clock: () => now, deadline: 10_000, safetyMs: 1000,
      failpoint: (p) => { if (p === 'mid-apply') now = 9_500; },
    });
    expect(r.moreWork).toBe(true);
    const [pos] = await sql(piecemeal.db, `select app_partial_event from lambdiste.applied where app_consumer = $1`, [piecemeal.jobName]);
    expect(pos!.app_partial_event).not.toBeNull();
    // The first piece is committed, the rest is not applied yet.
    const [half] = await sql(piecemeal.db, 'select count(*) filter (where balance = id * 2)::int as done, count(*)::int as total from acct');
    expect(half!.done).toBe(1000);
    expect(half!.total).toBe(3000);
    await syncLeaf(root, piecemeal, 30);
    await syncLeaf(root, steady);
    expect(await checksum(piecemeal.db, 'acct')).toBe(await checksum(root.db, 'acct'));
  });

  it('resumes an interrupted copy without losing or duplicating rows', async () => {
    const { root, leaves: [leaf] } = await setup('crash_copy');
    let chunks = 0;
    await expect(
      consume(root, leaf, { chunkRows: 500, chunkSeconds: 0, failpoint: (p) => { if (p === 'mid-copy' && ++chunks === 3) throw new InjectedCrash(p); } }),
    ).rejects.toThrow(InjectedCrash);
    const mid = await sql(leaf.db, 'select count(*)::int as n from acct');
    expect(mid[0]!.n).toBe(1500);
    await sql(root.db, workload);
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
  });

  it('grows copy chunks from the rate measured, within the time left', async () => {
    const { root, leaves: [leaf] } = await setup('crash_grow');
    const chunks: number[] = [];
    await consume(root, leaf, { chunkRows: 100, onCopyProgress: (_t, n) => void chunks.push(n) });
    // 4-fold growth while far from the 10 s target: 100, 400, 1,600, and the 900 rows left.
    expect(chunks).toEqual([100, 400, 1600, 900]);
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
    // 100,000 rows in 0.4 s: 4-fold with a minute left, but only what 1 s allows with 2 s left.
    const last = { rows: 100_000, ms: 400 };
    expect(nextChunkRows({ chunkRows: 100_000, chunkSeconds: 10, msLeft: () => 60_000 }, last)).toBe(400_000);
    expect(nextChunkRows({ chunkRows: 100_000, chunkSeconds: 10, msLeft: () => 2_000 }, last)).toBe(250_000);
    expect(nextChunkRows({ chunkRows: 100_000, chunkSeconds: 10, msLeft: () => 0 }, last)).toBe(1000);
    expect(nextChunkRows({ chunkRows: 100_000, chunkSeconds: 0, msLeft: () => 60_000 }, last)).toBe(100_000);
  });

  it('lets only one of two concurrent consumers of a subscriber work', async () => {
    const { root, leaves: [a, b] } = await setup('crash_twin');
    await syncLeaf(root, a);
    await syncLeaf(root, b);
    for (let i = 0; i < 3; i++) {
      await sql(root.db, workload.replaceAll('3001, 3500', `${4000 + i * 1000}, ${4500 + i * 1000}`).replace('id + 100000', `id + ${200000 * (i + 1)}`));
      await tick(root);
      const runs = await Promise.all([consume(root, b), consume(root, b), consume(root, a)]);
      expect(runs.slice(0, 2).filter((r) => r.busy).length).toBeLessThanOrEqual(1);
    }
    await syncLeaf(root, a);
    await syncLeaf(root, b);
    expect(await checksum(b.db, 'acct')).toBe(await checksum(root.db, 'acct'));
    const [wa, wb] = await Promise.all([sql(a.db, 'select n from writes'), sql(b.db, 'select n from writes')]);
    expect(Number(wb[0]!.n)).toBe(Number(wa[0]!.n));
  });
});
