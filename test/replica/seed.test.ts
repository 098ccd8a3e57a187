/**
 * The seed walkthrough (a Londiste 3 case on schema digoal_01), step by
 * step, with the outputs its users know: provider and subscriber on
 * separate servers, commands run the way the CLI runs them.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { checksum, consume, makeCluster, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const schemaDdl = `
  create schema digoal_01;
  create table digoal_01.user_info (userid int primary key, engname text, cnname text, occupation text,
                                    birthday date, signname text, email text, qq numeric, crt_time timestamptz, mod_time timestamptz);
  create table digoal_01.user_session (userid int primary key, logintime timestamptz, login_count bigint,
                                       logouttime timestamptz, online_interval interval);
  create table digoal_01.user_login_rec (userid int, login_time timestamptz, ip inet);
  create table digoal_01.user_logout_rec (userid int, logout_time timestamptz, ip inet);
`;

const load = (from: number, to: number) => `
  insert into digoal_01.user_info
  select g, 'name' || g, '名字' || g, 'dba', date '1980-01-01' + g % 1000, 'sig', g || '@example.org', g * 10,
         timestamptz '2012-01-01 00:00+08' + g * interval '1 minute', null
    from generate_series(${from}, ${to}) g;
  insert into digoal_01.user_session select g, now(), g, null, null from generate_series(${from}, ${to}) g;
  insert into digoal_01.user_login_rec select g, now(), '10.0.0.1' from generate_series(${from}, ${to}) g;
  insert into digoal_01.user_logout_rec select g, now(), '10.0.0.2' from generate_series(${from}, ${to}) g;
`;

describe('the seed walkthrough', () => {
  let root: NodeConfig;
  let leaf: NodeConfig;

  beforeAll(async () => {
    ({ root, leaves: [leaf] } = (await makeCluster('digoal', 1)) as { root: NodeConfig; leaves: [NodeConfig] });
    await sql(root.db, schemaDdl + load(1, 2000));
    await sql(leaf.db, schemaDdl);
  });

  it('creates the root and the leaf', async () => {
    const r = await run(root, 'create-root', ['src_digoal_01', root.db]);
    expect(r.exitCode).toBe(0);
    expect(r.log).toContain('INFO Node "src_digoal_01" initialized for queue "replika" with type "root"');
    const l = await run(leaf, 'create-leaf', ['dst1_digoal_01', leaf.db], { provider: root.db });
    expect(l.exitCode).toBe(0);
    expect(l.log).toContain('INFO Node "dst1_digoal_01" initialized for queue "replika" with type "leaf"');
    leaf.jobName = 'dst1_digoal_01';
  });

  it('adds the tables with primary keys on the provider, all ok at once', async () => {
    const r = await run(root, 'add-table', ['digoal_01.user_info', 'digoal_01.user_session']);
    expect(r.exitCode).toBe(0);
    expect(r.log).toEqual(['INFO Table added: digoal_01.user_info', 'INFO Table added: digoal_01.user_session']);
    const t = await run(root, 'tables');
    expect(t.tables[0]).toEqual({
      title: 'Tables on node',
      columns: ['table_name', 'merge_state', 'table_attrs'],
      rows: [['digoal_01.user_info', 'ok', ''], ['digoal_01.user_session', 'ok', '']],
    });
  });

  it('adds them on the subscriber, which copies them one at a time', async () => {
    const r = await run(leaf, 'add-table', ['digoal_01.user_info', 'digoal_01.user_session']);
    expect(r.exitCode).toBe(0);
    const before = await run(leaf, 'tables');
    expect(before.tables[0]!.rows.map((x) => x[1])).toEqual([null, null]);
    // A consumer round that stops after the first chunk: the first table is copying, the second waits.
    await tick(root);
    await consume(root, leaf, { maxBatches: 0, chunkRows: 500, failpoint: (p) => { if (p === 'mid-copy') throw new Error('stop'); } })
      .catch((e: Error) => expect(e.message).toBe('stop'));
    const during = await run(leaf, 'tables');
    expect(during.tables[0]!.rows.map((x) => x[1])).toEqual(['in-copy', null]);
    await syncLeaf(root, leaf);
    const after = await run(leaf, 'tables');
    expect(after.tables[0]!.rows.map((x) => x[1])).toEqual(['ok', 'ok']);
    expect(await checksum(leaf.db, 'digoal_01.user_info')).toBe(await checksum(root.db, 'digoal_01.user_info'));
  });

  it('lists the tables still missing on the provider', async () => {
    const m = await run(root, 'missing');
    expect(m.tables[0]).toEqual({
      title: 'Missing objects on node',
      columns: ['obj_kind', 'obj_name'],
      rows: [['r', 'digoal_01.user_login_rec'], ['r', 'digoal_01.user_logout_rec']],
    });
  });

  it('refuses tables without a primary key and changes nothing', async () => {
    const r = await run(root, 'add-table', ['digoal_01.user_login_rec', 'digoal_01.user_logout_rec']);
    expect(r.exitCode).toBe(1);
    expect(r.log).toEqual(['ERROR Primary key missing on table: digoal_01.user_login_rec']);
    const m = await run(root, 'missing');
    expect(m.tables[0]!.rows).toHaveLength(2);
    const trig = await sql(root.db, `select count(*)::int as n from pg_trigger where tgrelid = 'digoal_01.user_login_rec'::regclass`);
    expect(trig[0]!.n).toBe(0);
  });

  it('adds serial8 keys on both nodes, then the log tables and their sequences', async () => {
    for (const n of [root, leaf]) {
      await sql(n.db, `alter table digoal_01.user_login_rec add column id serial8 primary key;
                       alter table digoal_01.user_logout_rec add column id serial8 primary key;`);
    }
    const r = await run(root, 'add-table', ['digoal_01.user_login_rec', 'digoal_01.user_logout_rec']);
    expect(r.log).toEqual(['INFO Table added: digoal_01.user_login_rec', 'INFO Table added: digoal_01.user_logout_rec']);
    expect((await run(leaf, 'add-table', ['digoal_01.user_login_rec', 'digoal_01.user_logout_rec'])).exitCode).toBe(0);

    const m = await run(root, 'missing');
    expect(m.tables[0]!.rows).toEqual([['S', 'digoal_01.user_login_rec_id_seq'], ['S', 'digoal_01.user_logout_rec_id_seq']]);
    const t = await run(root, 'tables');
    expect(t.tables[0]!.rows.map((x) => [x[0], x[1]])).toEqual([
      ['digoal_01.user_info', 'ok'], ['digoal_01.user_login_rec', 'ok'],
      ['digoal_01.user_logout_rec', 'ok'], ['digoal_01.user_session', 'ok'],
    ]);

    const seqs = ['digoal_01.user_login_rec_id_seq', 'digoal_01.user_logout_rec_id_seq'];
    const ar = await run(root, 'add-seq', seqs);
    expect(ar.log).toEqual(seqs.map((s) => `INFO Sequence added: ${s}`));
    const al = await run(leaf, 'add-seq', seqs);
    expect(al.log).toEqual(seqs.map((s) => `INFO Sequence added: ${s}`));
    // Unlike Londiste, an added sequence is no longer "missing".
    expect((await run(root, 'missing')).tables[0]!.rows).toEqual([]);
  });

  it('replicates new rows and moves the subscriber sequences forward', async () => {
    await sql(root.db, `insert into digoal_01.user_login_rec (userid, login_time, ip)
                        select g, now(), '10.0.0.3' from generate_series(1, 500) g`);
    await syncLeaf(root, leaf);
    for (const t of ['user_info', 'user_session', 'user_login_rec', 'user_logout_rec']) {
      expect(await checksum(leaf.db, `digoal_01.${t}`), t).toBe(await checksum(root.db, `digoal_01.${t}`));
    }
    const rs = await run(root, 'seqs');
    const ls = await run(leaf, 'seqs');
    expect(rs.tables[0]!.columns).toEqual(['seq_name', 'local', 'last_value']);
    expect(rs.tables[0]!.rows).toEqual([
      ['digoal_01.user_login_rec_id_seq', true, 2500],
      ['digoal_01.user_logout_rec_id_seq', true, 2000],
    ]);
    for (const [i, row] of ls.tables[0]!.rows.entries()) {
      expect(Number(row[2])).toBeGreaterThanOrEqual(Number(rs.tables[0]!.rows[i]![2]));
    }
  });
});
