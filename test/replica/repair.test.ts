/**
 * repair on a leaf while a load writes on the root and the leaf applies:
 * rows missing, extra and changed on the subscriber are found by key and
 * fixed there, at one stream position; --dry-run prints the same SQL and
 * changes nothing; compare is clean afterwards.
 */
import { describe, expect, it } from 'vitest';
import { cli, startLoad } from '../helpers/load.ts';
import { checksum, replicatedPair, run, sql, syncLeaf } from '../helpers/nodes.ts';

const odd = '"Odd Sch"."T%x"';
const ddl = `create table public.t (id int primary key, v text, n int);
  create schema "Odd Sch";
  create table ${odd} ("K 1" int, k2 text, "v%s" text, j jsonb, a int[], ts timestamptz, f float8, b bytea,
                       g int generated always as ("K 1" * 2) stored, primary key ("K 1", k2))`;
const seed = `insert into t select g, 'v' || g, g from generate_series(1, 20000) g;
  insert into ${odd} ("K 1", k2, "v%s", j, a, ts, f, b)
  select g, 'k''' || g, case when g % 4 = 0 then null else 'it''s %s ' || g end, jsonb_build_object('g', g), array[g, null],
         timestamptz '2024-03-31 01:30:00.123456+02' + g * interval '1 hour', g / 7.0, decode('00ff', 'hex')
    from generate_series(1, 300) g`;

describe('repair', () => {
  it('fixes missing, extra and changed rows by key while writes go on', async () => {
    const { root, leaf } = await replicatedPair('repair', ddl, 'public.t', seed);
    expect((await run(root, 'add-table', [odd])).exitCode).toBe(0);
    expect((await run(leaf, 'add-table', [odd])).exitCode).toBe(0);
    await syncLeaf(root, leaf);

    const load = startLoad(root, leaf);
    try {
      await load.more(30);
      // Damage on the subscriber only, in rows the load leaves alone.
      await sql(leaf.db, `
        delete from t where id in (3, 4);
        insert into t values (-5, 'extra', 0);
        update t set v = null where id = 9;
        update ${odd} set "v%s" = 'wrong', f = f + 1 where "K 1" = 10;
        delete from ${odd} where "K 1" = 11;
        insert into ${odd} ("K 1", k2) values (-1, 'extra')`);
      const damaged = await cli(leaf, 'compare');
      expect(damaged.code).toBe(1);

      const dry = await cli(leaf, 'repair', '--dry-run', 'public.t', odd);
      expect(dry.code).toBe(0);
      expect(dry.out.trimEnd().split('\n')).toEqual([
        `delete from public.t where id = '-5';`,
        `update public.t set v = 'v9', n = '9' where id = '9';`,
        `insert into public.t (id, v, n) values ('3', 'v3', '3');`,
        `insert into public.t (id, v, n) values ('4', 'v4', '4');`,
        `delete from ${odd} where "K 1" = '-1' and k2 = 'extra';`,
        `update ${odd} set "v%s" = 'it''s %s 10', j = '{"g": 10}', a = '{10,NULL}', ts = '2024-03-31 09:30:00.123456+00', f = '1.4285714285714286', b = E'\\\\x00ff' where "K 1" = '10' and k2 = 'k''10';`,
        `insert into ${odd} ("K 1", k2, "v%s", j, a, ts, f, b) values ('11', 'k''11', 'it''s %s 11', '{"g": 11}', '{11,NULL}', '2024-03-31 10:30:00.123456+00', '1.5714285714285714', E'\\\\x00ff');`,
      ]);
      expect(dry.err).toContain('INFO public.t: 2 missing, 1 extra, 1 changed row(s)');
      expect(dry.err).toContain(`INFO ${odd}: 1 missing, 1 extra, 1 changed row(s)`);
      // Nothing changed by the dry run.
      expect((await cli(leaf, 'compare')).code).toBe(1);

      const fixed = await cli(leaf, 'repair');
      expect(fixed.code).toBe(0);
      const lines = fixed.out.trimEnd().split('\n');
      expect(lines.slice(0, 3)).toEqual(dry.out.trimEnd().split('\n').slice(4));
      expect(lines[3]).toBe(`${odd}: repaired (1 inserted, 1 updated, 1 deleted)`);
      expect(lines.slice(4, 8)).toEqual(dry.out.trimEnd().split('\n').slice(0, 4));
      expect(lines[8]).toBe('public.t: repaired (2 inserted, 1 updated, 1 deleted)');
      expect(lines).toHaveLength(9);

      // Clean, with the load still going.
      const after = await cli(leaf, 'compare');
      expect(after.code).toBe(0);
      expect(after.out).toMatch(/: ok \(.*\n.*: ok \(/);
      // A second repair finds nothing to do.
      const again = await cli(leaf, 'repair', 't');
      expect(again.out).toMatch(/^public\.t: ok \(rows=\d+, checksum=-?\d+\)\n$/);
    } finally {
      await load.stop();
    }
    await syncLeaf(root, leaf);
    for (const t of ['public.t', odd]) expect(await checksum(leaf.db, t)).toBe(await checksum(root.db, t));
  }, 240_000);

  it('refuses bad input with one ERROR line and exit code 1', async () => {
    const { root, leaf } = await replicatedPair('repairbad', 'create table public.t (id int primary key, v text)', 'public.t',
      `insert into t values (1, 'a')`);
    await sql(leaf.db, `delete from t`);
    expect(await cli(leaf, 'repair', 'public.nope')).toEqual({ code: 1, out: '', err: 'ERROR Table not replicated on this node: public.nope\n' });
    expect(await cli(root, 'repair')).toEqual({ code: 1, out: '', err: `ERROR Node "${root.jobName}" is a root; this command needs a leaf\n` });
    expect((await sql(leaf.db, 'select count(*)::int as n from t'))[0]!.n).toBe(0);
  });
});
