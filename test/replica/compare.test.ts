/**
 * compare on a leaf while a load writes on the root and the leaf's
 * consumer applies: both sides are counted at one stream position, so a
 * busy table compares exactly; a row changed on the subscriber makes it
 * differ (exit code 1); bad input is one ERROR line, exit code 1.
 */
import { describe, expect, it } from 'vitest';
import { cli, startLoad } from '../helpers/load.ts';
import { checksum, consume, replicatedPair, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const ddl = 'create table public.t (id int primary key, v text, n int); create table public.other (k text primary key, x float8)';
const seed = `insert into t select g, 'v' || g, g from generate_series(1, 20000) g;
              insert into other select 'k' || g, g / 3.0 from generate_series(1, 500) g`;

async function pair(prefix: string) {
  const r = await replicatedPair(prefix, ddl, 'public.t', seed);
  expect((await run(r.root, 'add-table', ['public.other'])).exitCode).toBe(0);
  expect((await run(r.leaf, 'add-table', ['public.other'])).exitCode).toBe(0);
  await syncLeaf(r.root, r.leaf);
  return r;
}

describe('compare', () => {
  it('compares a busy table exactly, on both sides at one tick, through the CLI', async () => {
    const { root, leaf } = await pair('cmp');
    const load = startLoad(root, leaf);
    try {
      await load.more(50);
      for (let round = 0; round < 3; round++) {
        const r = await cli(leaf, 'compare');
        expect(r.err).toMatch(/^INFO Locking public\.other\nINFO Syncing public\.other\nINFO Counting public\.other\nINFO srcdb: 500 rows, checksum=-?\d+\nINFO dstdb: 500 rows, checksum=-?\d+\n/);
        const lines = r.out.trimEnd().split('\n');
        expect(lines).toEqual([
          expect.stringMatching(/^public\.other: ok \(rows=500, checksum=-?\d+\)$/),
          expect.stringMatching(/^public\.t: ok \(rows=\d+, checksum=-?\d+\)$/),
        ]);
        expect(r.code).toBe(0);
        // The load went on between rounds.
        await load.more(20);
      }
    } finally {
      await load.stop();
    }
    // Once everything is applied, compare's figures are the table's.
    await syncLeaf(root, leaf);
    const r = await run(leaf, 'compare', ['t']);
    const [c] = await sql(root.db, 'select count(*)::int as n from t');
    expect(r.lines).toEqual([expect.stringMatching(new RegExp(`^public\\.t: ok \\(rows=${c!.n}, checksum=-?\\d+\\)$`))]);
    expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
  }, 240_000);

  it('finds a table that differs, and says so with exit code 1', async () => {
    const { root, leaf } = await pair('cmpdiff');
    const load = startLoad(root, leaf);
    try {
      await load.more(30);
      // Rows the load leaves alone, changed on the subscriber only.
      await sql(leaf.db, `update t set v = 'changed' where id = 7; delete from t where id = 8`);
      const r = await cli(leaf, 'compare', 'public.t', 'other');
      expect(r.code).toBe(1);
      const lines = r.out.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^public\.t: differs \(srcdb rows=(\d+), checksum=-?\d+; dstdb rows=(\d+), checksum=-?\d+\)$/);
      const [, src, dst] = /srcdb rows=(\d+).*dstdb rows=(\d+)/.exec(lines[0]!)!;
      expect(Number(dst)).toBe(Number(src) - 1);
      expect(lines[1]).toMatch(/^public\.other: ok \(rows=500, checksum=-?\d+\)$/);
      expect(r.err).toContain('WARNING public.t: Not in sync');
      expect(r.err.trimEnd().split('\n').at(-1)).toBe('ERROR 1 of 2 table(s) differ');
    } finally {
      await load.stop();
    }
  }, 240_000);

  it('refuses bad input with one ERROR line and exit code 1', async () => {
    const { root, leaf } = await pair('cmpbad');
    const before = await checksum(leaf.db, 't');
    const unknown = await cli(leaf, 'compare', 'public.t', 'public.nope');
    expect(unknown).toEqual({ code: 1, out: '', err: 'ERROR Table not replicated on this node: public.nope\n' });
    const onRoot = await cli(root, 'compare');
    expect(onRoot).toEqual({ code: 1, out: '', err: `ERROR Node "${root.jobName}" is a root; this command needs a leaf\n` });
    const badName = await cli(leaf, 'compare', 'a.b.c');
    expect(badName.code).toBe(1);
    expect(badName.err).toBe('ERROR Invalid name: a.b.c (expected schema.name)\n');
    // Nothing was applied or changed by the refused commands.
    expect(await checksum(leaf.db, 't')).toBe(before);
    await tick(root);
    expect((await consume(root, leaf)).events).toBe(0);
  });
});
