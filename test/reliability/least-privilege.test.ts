/**
 * Least privilege (issue 14): the application's role writes its captured
 * tables, and that is all: it cannot read, insert or delete queue events
 * or touch replication state. The provider's replication role reads; it
 * cannot write the application's tables. Passwords never reach `status`,
 * errors or Lambda responses.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { connect } from '../../lib/db/connect.ts';
import { consume, checksum, replicatedPair, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

/** A login role on the server of `url`, with `grants` run for it; its URL. */
async function role(url: string, grants: (name: string) => string): Promise<{ name: string; url: string; password: string }> {
  const name = `lp_${randomBytes(4).toString('hex')}`;
  const password = `pw${randomBytes(8).toString('hex')}`;
  await sql(url, `create role ${name} login password '${password}'; ${grants(name)}`);
  const u = new URL(url);
  u.username = name;
  u.password = password;
  return { name, url: u.toString(), password };
}

/** Each statement's outcome for that role: 'ok' or PostgreSQL's message. */
async function attempts(url: string, statements: string[]): Promise<string[]> {
  const db = await connect(url, { serverDefaults: true });
  try {
    const out: string[] = [];
    for (const s of statements) out.push(await db.query(s).then(() => 'ok', (e: Error) => e.message));
    return out;
  } finally {
    await db.end();
  }
}

const ddl = 'create table public.acct (id int primary key, v text)';

describe('the application role', () => {
  it('writes its captured tables, and cannot read, write or delete queue events or replication state', async () => {
    const { root, leaf } = await replicatedPair('lp_app', ddl, 'acct', `insert into acct values (1, 'a')`);
    const app = await role(root.db, (n) => `grant usage on schema public to ${n}; grant select, insert, update, delete on public.acct to ${n}`);
    expect(await attempts(app.url, [
      `insert into public.acct values (2, 'b')`, `update public.acct set v = 'c' where id = 1`, `delete from public.acct where id = 2`,
    ])).toEqual(['ok', 'ok', 'ok']);
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));

    const [{ t }] = (await sql<{ t: string }>(root.db, 'select pgq.current_event_table($1) as t', [root.queueName])) as [{ t: string }];
    const denied = await attempts(app.url, [
      `select * from ${t}`,
      `select * from pgq.event_template`,
      `insert into ${t} (ev_type, ev_data) values ('I', '{}')`,
      `delete from ${t}`,
      `truncate ${t}`,
      `select pgq.insert_event('${root.queueName}', 'I', '{"id": 9}', 'public.acct', null, null, null)`,
      `select pgq.insert_event('${root.queueName}', 'I', '{"id": 9}')`,
      `select pgq.register_consumer('${root.queueName}', 'evil')`,
      `select pgq.ticker()`,
      `select pgq.drop_queue('${root.queueName}', true)`,
      `select * from lambdiste.node`,
      `select * from lambdiste.member`,
      `update lambdiste.table_info set tbl_merge_state = null`,
      `delete from pgq.subscription`,
    ]);
    for (const [i, message] of denied.entries()) expect(message, `statement ${i}`).toMatch(/permission denied/);
    // Nothing of that reached the queue or the leaf.
    await tick(root);
    await consume(root, leaf);
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
  });
});

describe("the provider's replication role", () => {
  // pgq_reader consumes; SELECT on the replicated tables copies them; lambdiste's lists are read.
  const grants = (n: string) => `grant pgq_reader to ${n}; grant usage on schema lambdiste to ${n};
    grant select on all tables in schema lambdiste to ${n}; grant select on public.acct to ${n}`;

  it('consumes, copies and resyncs with pgq_reader and SELECT, and can write nothing', async () => {
    const { root, leaf } = await replicatedPair('lp_repl', ddl, 'acct', `insert into acct select g, 'v' from generate_series(1, 100) g`);
    const repl = await role(root.db, grants);
    const viaRepl = { ...root, db: repl.url };
    await sql(root.db, `update acct set v = 'w' where id < 50; delete from acct where id > 90`);
    await tick(root);
    await consume(viaRepl, leaf);
    expect((await run(leaf, 'resync', ['acct'])).exitCode).toBe(0);
    for (let i = 0; i < 5; i++) {
      await tick(root);
      await consume(viaRepl, leaf);
    }
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
    const denied = await attempts(repl.url, [
      `insert into public.acct values (1000, 'x')`,
      `update public.acct set v = 'x'`,
      `select pgq.insert_event('${root.queueName}', 'I', '{"id": 9}', 'public.acct', null, null, null)`,
      `select pgq.ticker()`,
      `update lambdiste.table_info set tbl_merge_state = null`,
      `delete from pgq.tick`,
    ]);
    for (const [i, message] of denied.entries()) expect(message, `statement ${i}`).toMatch(/permission denied/);
  });
});

describe("the subscriber's replication role", () => {
  // Writes the replicated tables and Lambdiste's state; replays as a replica
  // (PostgreSQL 15+: SET on session_replication_role); moves sequences (pgq_admin's seq_setval).
  const grants = (n: string) => `grant select, insert, update, delete, truncate on public.acct to ${n};
    grant usage on schema lambdiste, pgq to ${n};
    grant select, insert, update, delete on all tables in schema lambdiste to ${n};
    grant set on parameter session_replication_role to ${n}`;

  it('applies batches, copies and resyncs with those grants', async () => {
    const { root, leaf } = await replicatedPair('lp_sub', ddl, 'acct', `insert into acct select g, 'v' from generate_series(1, 100) g`);
    const [{ v }] = (await sql<{ v: number }>(leaf.db, `select current_setting('server_version_num')::int as v`)) as [{ v: number }];
    if (v < 150000) return; // SET on a parameter is PostgreSQL 15's
    const repl = await role(leaf.db, grants);
    const viaRepl = { ...leaf, db: repl.url };
    await sql(root.db, `update acct set v = 'w' where id < 50; delete from acct where id > 90`);
    await tick(root);
    await consume(root, viaRepl);
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
    expect((await run(leaf, 'resync', ['acct'])).exitCode).toBe(0);
    await sql(root.db, `insert into acct values (500, 'new')`);
    for (let i = 0; i < 5; i++) {
      await tick(root);
      await consume(root, viaRepl);
    }
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
    expect(await attempts(repl.url, [`create table public.evil (id int)`, `select pgq.create_queue('evil')`]))
      .toEqual([expect.stringMatching(/permission denied/), expect.stringMatching(/permission denied/)]);
  });

  it('moves a replicated sequence forward with pgq_admin and SELECT, UPDATE on it, and not without them', async () => {
    const { root, leaf } = await replicatedPair('lp_seq', `${ddl}; create sequence public.acct_seq`, 'acct');
    const [{ v }] = (await sql<{ v: number }>(leaf.db, `select current_setting('server_version_num')::int as v`)) as [{ v: number }];
    if (v < 150000) return;
    for (const node of [root, leaf]) expect((await run(node, 'add-seq', ['public.acct_seq'])).exitCode).toBe(0);
    await sql(root.db, `select setval('public.acct_seq', 4242)`);
    const seqValue = async () => Number((await sql<{ n: string }>(leaf.db, 'select last_value as n from public.acct_seq'))[0]!.n);

    // The table grants alone: the run fails at the sequence, and the sequence stays where it was.
    const bare = await role(leaf.db, grants);
    await tick(root);
    await expect(consume(root, { ...leaf, db: bare.url })).rejects.toThrow(/permission denied/);
    expect(await seqValue()).toBe(1);

    const repl = await role(leaf.db, (n) => `${grants(n)}; grant pgq_admin to ${n}; grant select, update on sequence public.acct_seq to ${n}`);
    await tick(root);
    await consume(root, { ...leaf, db: repl.url });
    expect(await seqValue()).toBeGreaterThanOrEqual(4242);
  });
});

describe('passwords', () => {
  it('never reach status, errors or Lambda-shaped answers', async () => {
    const { root, leaf } = await replicatedPair('lp_pw', ddl, 'acct');
    const password = new URL(root.db).password;
    expect(password.length).toBeGreaterThan(8);
    const status = await run(leaf, 'status');
    expect(JSON.stringify(status)).not.toContain(password);
    const tables = await run(leaf, 'tables');
    expect(JSON.stringify(tables)).not.toContain(password);
    // A database that does not exist, a refused password, a port nobody listens on.
    const bad = new URL(root.db);
    bad.pathname = '/nosuch_db';
    const wrongPw = new URL(root.db);
    wrongPw.password = `${password}x`;
    const noPort = new URL(root.db);
    noPort.port = '1';
    for (const url of [bad.toString(), wrongPw.toString(), noPort.toString()]) {
      const message = await connect(url).then(async (c) => { await c.end(); return 'connected'; }, (e: Error) => e.message);
      expect(message).toMatch(/^Cannot connect to postgres:\/\/postgres:\*\*\*@/);
      expect(message).not.toContain(password);
    }
    const failed = await run({ ...leaf, settings: { provider_db: noPort.toString() } }, 'status').then((r) => JSON.stringify(r), (e: Error) => e.message);
    expect(failed).not.toContain(password);
    const consumerError = await consume({ ...root, db: noPort.toString() }, leaf).then(() => 'ok', (e: Error) => e.message);
    expect(consumerError).toMatch(/Cannot connect/);
    expect(consumerError).not.toContain(password);
  });
});
