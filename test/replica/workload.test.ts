/**
 * A mixed workload on the root (inserts, updates including primary-key
 * changes, deletes, TRUNCATE, every kind of type) replicated to two
 * leaves that run at their own pace; afterwards each leaf equals the root
 * row for row.
 */
import { describe, expect, it } from 'vitest';
import { checksum, consume, makeCluster, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const ddl = `
  create type mood as enum ('sad', 'ok', 'happy');
  create domain posint as integer check (value > 0);
  create type pair as (a int, b text);
  create schema "Odd Schema";
  create table "Odd Schema"."Mixed.Case""Table" (
    "Id Col" int primary key,
    "quote""d" text,
    n numeric,
    f float8,
    r real,
    b bytea,
    j json,
    jb jsonb,
    ts timestamptz,
    t timestamp,
    d date,
    tm time,
    iv interval,
    ta text[],
    ia int[][],
    m mood,
    p posint,
    u uuid,
    ip inet,
    pr pair,
    g int generated always as ("Id Col" * 2) stored
  );
  create table public.kv (k1 int, k2 text, v text, primary key (k1, k2));`;

const row = (i: number) => `(${i}, 'quote'' "${i}" \\\\ ü€😀', ${i}.123456789012345678901234567890, ${i} * 0.1, ${i}::real / 3,
  decode('00ff${(i % 256).toString(16).padStart(2, '0')}', 'hex'), '{"b": 1,  "a": [1, 2], "a": "dup"}', '{"x": ${i}}',
  timestamptz '2024-03-31 01:30:00.123456+02' + ${i} * interval '1 hour', timestamp '2020-02-29 23:59:59.999999',
  date '2000-01-01' + ${i}, time '12:34:56.789', interval '1 year 2 months 3 days 04:05:06.789',
  array['a,b', 'c"d', null, 'e\\\\f'], array[[1, 2], [3, null]], 'happy', ${i + 1}, gen_random_uuid(), '10.0.0.${i % 250}/24',
  row(${i}, 'p${i}'))`;

describe('a mixed workload to two leaves', () => {
  it('leaves equal the root row for row', async () => {
    const { root, leaves } = await makeCluster('mixed', 2);
    const odd = '"Odd Schema"."Mixed.Case""Table"';
    for (const n of [root, ...leaves]) await sql(n.db, ddl);
    // Replication must not depend on either side's time zone.
    await sql(root.db, `do $$ begin execute format('alter database %I set timezone = %L', current_database(), 'America/New_York'); end $$`);
    for (const leaf of leaves) {
      await sql(leaf.db, `do $$ begin execute format('alter database %I set timezone = %L', current_database(), 'Asia/Kolkata'); end $$`);
    }
    // numeric has an infinity from PostgreSQL 14 on.
    const [v] = await sql(root.db, `select current_setting('server_version_num')::int >= 140000 as inf`);
    const numericInfinity = v!.inf ? `'Infinity'` : `'NaN'`;
    await sql(root.db, `insert into ${odd} ("Id Col", "quote""d", n, f, r, b, j, jb, ts, t, d, tm, iv, ta, ia, m, p, u, ip, pr) values
      ${Array.from({ length: 50 }, (_, i) => row(i + 1)).join(',\n')};
      insert into kv select g, 'k' || g, 'v' from generate_series(1, 200) g;
      insert into ${odd} ("Id Col", f, n) values (1000, 'NaN', 'NaN'), (1001, 'Infinity', ${numericInfinity}), (1002, '-Infinity', 1e-20);`);

    expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
    expect((await run(root, 'add-table', [odd, 'kv'])).log).toEqual([`INFO Table added: ${odd}`, 'INFO Table added: public.kv']);
    for (const leaf of leaves) {
      expect((await run(leaf, 'create-leaf', [leaf.jobName], { provider: root.db })).exitCode).toBe(0);
      expect((await run(leaf, 'add-table', [], { all: true, maxParallelCopy: 2 })).exitCode).toBe(0);
    }
    // Leaf 1 copies now; leaf 2 falls behind and catches up later.
    await syncLeaf(root, leaves[0]!);

    const steps = [
      `update ${odd} set n = n * 2, j = '{ "spaced" :  true }', ta = ta || array['x'] where "Id Col" % 3 = 0`,
      `update ${odd} set "Id Col" = "Id Col" + 500 where "Id Col" between 10 and 20`,
      `update ${odd} set "Id Col" = -1 where "Id Col" = 1; update ${odd} set "Id Col" = 1 where "Id Col" = 2; update ${odd} set "Id Col" = 2 where "Id Col" = -1`,
      `delete from ${odd} where "Id Col" % 5 = 0`,
      `update kv set k2 = k2 || 'x', v = 'moved' where k1 < 50`,
      `truncate kv; insert into kv values (1, 'after', 'truncate'), (2, 'after', 'truncate')`,
      `insert into ${odd} ("Id Col", ts) select g, now() from generate_series(2000, 2300) g`,
      `update ${odd} set "quote""d" = null, b = null, pr = null where "Id Col" > 2200`,
    ];
    for (const [i, s] of steps.entries()) {
      await sql(root.db, s);
      if (i % 2 === 0) {
        await tick(root);
        await consume(root, leaves[0]!);
      }
    }
    await syncLeaf(root, leaves[0]!);
    await syncLeaf(root, leaves[1]!);
    for (const leaf of leaves) {
      for (const t of [odd, 'kv']) {
        expect(await checksum(leaf.db, t), `${leaf.jobName} ${t}`).toBe(await checksum(root.db, t));
      }
    }
    const [g] = await sql(leaves[1]!.db, `select count(*)::int as bad from ${odd} where g <> "Id Col" * 2`);
    expect(g!.bad).toBe(0);
  });
});
