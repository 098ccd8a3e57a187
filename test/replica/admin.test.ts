/**
 * The admin commands beyond the seed: options of add-table, removing,
 * resync, wait-sync, status, and every kind of bad input (clear message,
 * exit 1, nothing changed).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommandOptions, NodeConfig } from '../../lib/admin/types.ts';
import { checksum, consume, makeCluster, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const ddl = `
  create table public.a (id int primary key, v text);
  create table public.b (id int primary key, v text);
  create table public.c (id int primary key, v text, w int generated always as (id * 10) stored);
  create sequence public.s;
  create table public.reserved (id int primary key, _lambdiste_text_ text);`;

let root: NodeConfig;
let leaf: NodeConfig;

/** The replication state a failed command must leave alone. */
async function state(n: NodeConfig) {
  return sql(n.db, `select (select json_agg(t order by tbl_name) from lambdiste.table_info t) as t,
                           (select json_agg(s order by seq_name) from lambdiste.seq_info s) as s,
                           (select count(*) from pg_trigger where tgname like '_lambdiste%') as trg`);
}

beforeAll(async () => {
  ({ root, leaves: [leaf] } = (await makeCluster('admin', 1)) as { root: NodeConfig; leaves: [NodeConfig] });
  await sql(root.db, ddl + `insert into a select g, 'a' || g from generate_series(1, 3000) g;
                            insert into b select g, 'b' || g from generate_series(1, 3000) g;
                            insert into c (id, v) select g, 'c' || g from generate_series(1, 100) g;`);
  await sql(leaf.db, `create table public.a (id int primary key, v text);
                      create table public.b (id int primary key, v text, extra text default 'local');
                      create sequence public.s;
                      insert into b values (1, 'kept?', 'mine'), (999999, 'only here', 'mine');`);
  expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
  expect((await run(leaf, 'create-leaf', [leaf.jobName], { provider: root.db })).exitCode).toBe(0);
  expect((await run(root, 'add-table', ['a', 'b', 'c'])).exitCode).toBe(0);
  expect((await run(root, 'add-seq', ['s'])).exitCode).toBe(0);
});

describe('admin commands', () => {
  it('refuses bad input with a clear message and changes nothing', async () => {
    const before = [await state(root), await state(leaf)];
    const cases: [NodeConfig, string, string[], CommandOptions, string[]][] = [
      [root, 'add-table', ['public.nope'], {}, ['WARNING public.nope not available', 'ERROR Cannot proceed']],
      [root, 'add-table', ['a', 'public.nope'], {}, ['WARNING public.nope not available', 'ERROR Cannot proceed']],
      [root, 'add-seq', ['nope_seq'], {}, ['WARNING public.nope_seq not available', 'ERROR Cannot proceed']],
      [root, 'remove-table', ['never_added'], {}, ['WARNING public.never_added not available', 'ERROR Cannot proceed']],
      [root, 'remove-seq', ['never_added'], {}, ['WARNING public.never_added not available', 'ERROR Cannot proceed']],
      [leaf, 'add-table', ['c'], {}, ['WARNING public.c not available on this node (use --create to create it)', 'ERROR Cannot proceed']],
      [leaf, 'add-table', ['public.local_only'], {}, ['WARNING public.local_only not available', 'ERROR Cannot proceed']],
      [leaf, 'resync', ['a'], {}, ['WARNING public.a not available', 'ERROR Cannot proceed']],
      [root, 'add-table', ['reserved'], {}, ['ERROR Column name reserved by Lambdiste on table public.reserved: _lambdiste_text_']],
    ];
    for (const [node, cmd, args, opts, log] of cases) {
      const r = await run(node, cmd, args, opts);
      expect([cmd, args, r.exitCode, r.log]).toEqual([cmd, args, 1, log]);
    }
    for (const name of [`a"; drop table a; --`, 'x.y.z', '']) {
      await expect(run(root, 'add-table', [name])).rejects.toThrow(/Invalid name/);
    }
    // Through the admin function --timeout is not parsed by the CLI: a bad one is refused here (it used to mean no limit).
    await expect(run(leaf, 'wait-sync', [], { timeout: 'soon' })).rejects.toThrow('--timeout must be a number of seconds, not soon');
    expect([await state(root), await state(leaf)]).toEqual(before);
    expect((await sql(root.db, 'select count(*)::int as n from a'))[0]!.n).toBe(3000);
    await sql(root.db, 'drop table public.reserved'); // out of the way of `missing` below
  });

  it('says so when there is nothing to do', async () => {
    expect((await run(root, 'add-table', ['a'])).log).toEqual(['INFO public.a already processed', 'INFO what to do ?']);
    expect((await run(root, 'add-table', [])).log).toEqual(['INFO what to do ?']);
    expect((await run(root, 'add-seq', ['s'])).log).toEqual(['INFO Sequence already added: public.s', 'INFO what to do ?']);
  });

  it('copies tables in parallel, with a copy condition, keeping rows with skip-truncate, creating a missing table', async () => {
    const r = await run(leaf, 'add-table', ['a', 'b', 'c'], { maxParallelCopy: 2, create: true });
    expect(r.log).toEqual(['INFO Table created: public.c', 'INFO Table added: public.a', 'INFO Table added: public.b', 'INFO Table added: public.c']);
    expect((await run(leaf, 'remove-table', ['b'])).log).toEqual(['INFO Table removed: public.b']);
    expect((await run(leaf, 'add-table', ['b'], { skipTruncate: true, copyCondition: 'id <= 2000', maxParallelCopy: 2 })).exitCode).toBe(0);
    expect((await run(leaf, 'tables')).tables[0]!.rows).toEqual([
      ['public.a', null, { max_parallel_copy: '2' }],
      ['public.b', null, { max_parallel_copy: '2', skip_truncate: '1', copy_condition: 'id <= 2000' }],
      ['public.c', null, { max_parallel_copy: '2' }],
    ]);
    // One round stopped after the first chunks: two tables copy at once, the third waits.
    await tick(root);
    await consume(root, leaf, { chunkRows: 500, failpoint: (p) => { if (p === 'mid-copy') throw new Error('stop'); } }).catch(() => undefined);
    const states = (await run(leaf, 'tables')).tables[0]!.rows.map((x) => x[1]);
    expect(states.filter((s) => s === 'in-copy')).toHaveLength(2);
    expect(states).toContain(null);

    await sql(root.db, `update a set v = 'changed' where id % 2 = 0; delete from b where id = 1500`);
    const wait = run(leaf, 'wait-sync', [], { timeout: 60 });
    await syncLeaf(root, leaf);
    expect((await wait).log.at(-1)).toBe('INFO All done');
    expect(await checksum(leaf.db, 'a')).toBe(await checksum(root.db, 'a'));
    expect(await checksum(leaf.db, 'c')).toBe(await checksum(root.db, 'c'));
    const b = await sql(leaf.db, `select count(*)::int as n, count(*) filter (where extra = 'mine')::int as mine,
                                         bool_and(id <= 2000 or id = 999999) as cond from b`);
    // 1999 rows copied (1..2000 but 1500), row 1 overwritten by the copy but kept its local column, 999999 kept.
    expect(b[0]).toEqual({ n: 2000, mine: 2, cond: true });
    expect((await sql(leaf.db, `select v from b where id = 1`))[0]!.v).toBe('b1');
  });

  it('resyncs a table and reports status', async () => {
    await sql(leaf.db, `delete from a where id < 100`);
    expect((await run(leaf, 'resync', ['a'])).log).toEqual(['INFO Table public.a will be copied again']);
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 'a')).toBe(await checksum(root.db, 'a'));
    const s = await run(leaf, 'status');
    expect(s.exitCode).toBe(0);
    expect(s.data).toEqual([
      expect.objectContaining({ node: root.jobName, type: 'root', tables: '3/0/0', error: null }),
      expect.objectContaining({ node: leaf.jobName, type: 'leaf', tables: '3/0/0', pending: 0, error: null }),
    ]);
    expect(s.log[0]).toBe(`INFO ${root.jobName} (root)`);
  });

  it('moves a leaf sequence forward only, and stops replicating removed objects', async () => {
    await sql(root.db, `select setval('s', 500)`);
    await sql(leaf.db, `select setval('s', 900)`);
    expect((await run(leaf, 'add-seq', ['s'])).exitCode).toBe(0);
    await syncLeaf(root, leaf);
    expect((await sql(leaf.db, `select last_value::int as v from s`))[0]!.v).toBe(900);
    await sql(root.db, `select setval('s', 2000)`);
    await syncLeaf(root, leaf);
    expect((await sql(leaf.db, `select last_value::int as v from s`))[0]!.v).toBe(2000);

    expect((await run(root, 'remove-table', ['c'])).log).toEqual(['INFO Table removed: public.c']);
    const trg = await sql(root.db, `select count(*)::int as n from pg_trigger where tgrelid = 'c'::regclass and tgname like '_lambdiste%'`);
    expect(trg[0]!.n).toBe(0);
    expect((await run(root, 'missing')).tables[0]!.rows).toEqual([['r', 'public.c']]);
    expect((await run(leaf, 'missing')).tables[0]!.rows).toEqual([]);
    expect((await run(leaf, 'remove-seq', ['s'])).log).toEqual(['INFO Sequence removed: public.s']);
    expect((await run(leaf, 'missing')).tables[0]!.rows).toEqual([['S', 'public.s']]);
  });
});
