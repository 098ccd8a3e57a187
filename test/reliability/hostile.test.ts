/**
 * Hostile input (issue 14): malformed ini files and connection strings,
 * names with quotes, semicolons, Unicode and 63+ bytes, malformed and
 * oversized events written into the queue by hand, malformed Lambda
 * events and admin payloads. Each gets a clear error; nothing changes and
 * nothing is injected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { handler as ticker } from '../../functions/ticker.ts';
import { ConfigError, parseNodeConfig } from '../../lib/config.ts';
import { clientConfig } from '../../lib/db/connstr.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import { createDatabase } from '../helpers/db.ts';
import { checksum, consume, replicatedPair, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const ini = (body: string) => `[londiste3]\njob_name = j\ndb = postgres://u@h/d\nqueue_name = q\n${body}`;
const configError = (text: string) => {
  try {
    parseNodeConfig(text, 'Config file x.ini');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('no error');
};

describe('malformed ini files', () => {
  it('are refused with a message naming the file and the problem', () => {
    expect(configError('')).toBe('Config file x.ini: no [londiste3] section');
    expect(configError('\u0000\u00ff[[[\n=\n;;')).toBe('Config file x.ini: no [londiste3] section');
    expect(configError('[londiste3]\njob_name = a\nqueue_name = q')).toBe('Config file x.ini: missing key "db" in section [londiste3]');
    expect(configError('[londiste3]\njob_name = a\ndb =\nqueue_name = q')).toBe('Config file x.ini: key "db" in section [londiste3] is empty');
    expect(configError('[londiste3]\njob_name = %(db)s\ndb = %(job_name)s\nqueue_name = q')).toMatch(/reference loop/);
    expect(configError(ini('x = %(nope)s'))).toBe('Config file x.ini: unknown reference %(nope)s in "x"');
    // Keys given as arrays (ini's "key[]") are not strings: db is then missing.
    expect(configError('[londiste3]\njob_name = a\ndb[] = x\nqueue_name = q')).toBe('Config file x.ini: missing key "db" in section [londiste3]');
    expect(configError('x'.repeat(1_000_000))).toBe('Config file x.ini: no [londiste3] section');
  });

  it('cannot pollute prototypes', () => {
    const c = parseNodeConfig(ini('__proto__ = polluted\nconstructor = x\n[__proto__]\npolluted = yes'), 'x.ini');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(c.settings)).toBe(Object.prototype);
  });
});

describe('malformed connection strings', () => {
  const refused = (s: string) => {
    try {
      clientConfig(s);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error(`accepted: ${s}`);
  };
  it('are refused with a clear message that never shows the password', () => {
    for (const s of [
      "host=h password='s3cret",
      'host=h port=abc password=s3cret',
      'host=h port=99999 password=s3cret',
      'postgres://u:s3cret@[bad/db',
      'postgres://u:s3cret@h:notaport/db',
      'host=h password=s3cret connect_timeout=soon',
      'garbage s3cret',
    ]) {
      const message = refused(s);
      expect(message).toMatch(/^Invalid connection string/);
      expect(message).not.toContain('s3cret');
    }
  });
});

describe('hostile names', () => {
  const names = {
    quote: 'we"ird\'name',
    semicolon: 'semi;colon; drop table public.keep; --',
    unicode: 'ünïcødé_表_🙂',
    // 63 bytes exactly: the longest name PostgreSQL keeps.
    long63: 'l'.repeat(60) + 'end',
  };
  const q = (n: string) => `"${n.replaceAll('"', '""')}"`;
  const ddl = (n: string) => `create table public.${q(n)} (id int primary key, v text);`;
  const all = Object.values(names);
  /** add-table's error: logged with exit code 1, or thrown (the CLI prints it as an ERROR line and exits 1). */
  const refused = (node: Parameters<typeof run>[0], name: string) =>
    run(node, 'add-table', [name]).then((r) => (r.exitCode === 1 ? r.log.join('\n') : `accepted: ${r.log.join('\n')}`), (e: Error) => e.message);

  it('replicate as any other table, quoted everywhere', async () => {
    const { root, leaf } = await replicatedPair('hostile_names', `create table public.keep (id int primary key); ${all.map(ddl).join(' ')}`, 'keep');
    // Given as SQL names, quoted as londiste3 takes them.
    for (const n of all) {
      expect((await run(root, 'add-table', [`public.${q(n)}`])).exitCode).toBe(0);
      expect((await run(leaf, 'add-table', [`public.${q(n)}`])).exitCode).toBe(0);
    }
    for (const n of all) await sql(root.db, `insert into public.${q(n)} select g, 'v' || g from generate_series(1, 50) g; update public.${q(n)} set v = 'x' where id < 10`);
    await syncLeaf(root, leaf);
    for (const n of all) expect(await checksum(leaf.db, `public.${q(n)}`)).toBe(await checksum(root.db, `public.${q(n)}`));
    const tables = await run(leaf, 'tables');
    expect(tables.tables[0]!.rows.map((r) => r[0])).toEqual(expect.arrayContaining(
      all.map((n) => `public.${/^[a-z_][a-z0-9_]*$/.test(n) ? n : q(n)}`)));
    expect(await sql(root.db, `select count(*)::int as n from public.keep`)).toEqual([{ n: 0 }]);
  });

  it('that name nothing, or more than 63 bytes, are refused and change nothing', async () => {
    const { root, leaf } = await replicatedPair('hostile_refused', `create table public.keep (id int primary key); ${ddl(names.long63)}`, 'keep');
    const before = await sql(root.db, `select count(*)::int as n from lambdiste.table_info`);
    for (const bad of [
      'keep; drop table public.keep',
      "keep' or '1'='1",
      'public."keep',
      'nosuch.keep',
      // Its first 63 bytes name a table: PostgreSQL would silently take that one.
      `public.${names.long63}_and_more`,
      'x'.repeat(10_000),
    ]) {
      expect(await refused(root, bad), bad).toMatch(/Table not found|Invalid name|Name too long|not available\nERROR Cannot proceed/);
    }
    expect(await sql(root.db, `select count(*)::int as n from lambdiste.table_info`)).toEqual(before);
    expect(await sql(root.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
    expect(await refused(leaf, 'keep; drop table public.keep')).toMatch(/Invalid name/);
    expect(await sql(leaf.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
  });

  it('as node and queue names are stored as given, never run', async () => {
    const { root } = await replicatedPair('hostile_nodes', 'create table public.keep (id int primary key)', 'keep');
    const evil = { ...root, queueName: `q"; drop table public.keep; --'ü${'x'.repeat(70)}` };
    const r = await run(evil, 'create-root', [`n'; drop table public.keep; --"`]);
    expect(r.exitCode).toBe(0);
    expect((await run(evil, 'add-table', ['keep'])).exitCode).toBe(0);
    await sql(root.db, 'insert into public.keep values (1)');
    expect(await sql(root.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
    const [info] = await sql(root.db, 'select count(*)::int as n from pgq.get_queue_info($1)', [evil.queueName]);
    expect(info!.n).toBe(1);
  });
});

describe('events written into the queue by hand', () => {
  const ddl = 'create table public.acct (id int primary key, v text)';

  /** A pair in sync, then `event` inserted into the queue and ticked: the consumer's answer. */
  async function withEvent(prefix: string, ...event: (string | null)[]) {
    const { root, leaf } = await replicatedPair(prefix, `${ddl}; create table public.keep (id int primary key)`, 'acct',
      `insert into acct select g, 'v' || g from generate_series(1, 20) g`);
    const before = await checksum(leaf.db, 'acct');
    const [pos] = await sql(leaf.db, 'select app_tick from lambdiste.applied where app_consumer = $1', [leaf.jobName]);
    await sql(root.db, 'select pgq.insert_event($1, $2, $3, $4, null, null, null)', [root.queueName, ...event]);
    await tick(root);
    const outcome = await consume(root, leaf).then(() => null, (err: Error) => err);
    return { root, leaf, before, pos, outcome };
  }

  for (const [what, type, data, extra1, error] of [
    ['not json', 'I', 'not json {', 'public.acct', /^Event \d+ is malformed: its row is not valid json$/],
    ['a json scalar', 'U', '42', 'public.acct', /^Event \d+ is malformed: its row is not a json object$/],
    ['an array of scalars', 'I', '[1, "x"]', 'public.acct', /^Event \d+ is malformed: its row is not a json object$/],
    ['a key missing', 'U', '{"v": "no key"}', 'public.acct', /^Cannot apply event \d+ to public\.acct: Events for public\.acct lack its primary key columns$/],
  ] as const) {
    it(`with ${what}: a clear error, nothing applied, the position kept`, async () => {
      const { root, leaf, before, pos, outcome } = await withEvent(`ev_${what.replace(/\W+/g, '_')}`, type, data, extra1);
      expect(outcome?.message).toMatch(error);
      expect(await checksum(leaf.db, 'acct')).toBe(before);
      expect(await sql(leaf.db, 'select app_tick from lambdiste.applied where app_consumer = $1', [leaf.jobName])).toEqual([pos]);
      expect(await sql(leaf.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
      expect(await sql(root.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
      // status shows why.
      const status = await run(leaf, 'status');
      expect(status.log.join('\n')).toMatch(/ERR: .*(is malformed|lack its primary key)/);
    });
  }

  // A subscriber may lack columns the provider has (they are left out) and
  // applies only what it knows: these change nothing, and run nothing.
  for (const [what, type, data] of [
    ['a column name made to inject', 'U', '{"id": 1, "v\\" = null; drop table public.keep; --": "x"}'],
    ['an unknown operation', 'X', '{"id": 1, "v": "x"}'],
    ['an empty array', 'I', '[]'],
  ] as const) {
    it(`with ${what}: nothing applied, nothing run`, async () => {
      const { root, leaf, before, outcome } = await withEvent(`ev_${what.replace(/\W+/g, '_')}`, type, data, 'public.acct');
      expect(outcome).toBeNull();
      expect(await checksum(leaf.db, 'acct')).toBe(before);
      expect(await sql(leaf.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
      await sql(root.db, `update acct set v = 'after' where id = 1`);
      await syncLeaf(root, leaf);
      expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
    });
  }

  it('for a table the leaf does not replicate, named to inject: skipped, nothing run', async () => {
    const { root, leaf, before, outcome } = await withEvent('ev_table_inject', 'I', '{"id": 1}', 'public.acct; drop table public.keep; --');
    expect(outcome).toBeNull();
    expect(await checksum(leaf.db, 'acct')).toBe(before);
    expect(await sql(leaf.db, `select to_regclass('public.keep') is not null as ok`)).toEqual([{ ok: true }]);
    await sql(root.db, `insert into acct values (500, 'after')`);
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 'acct')).toBe(await checksum(root.db, 'acct'));
  });

  it('oversized (one row of 16 MB, one event of 20,000 rows) apply whole', { timeout: 180_000 }, async () => {
    const { root, leaf } = await replicatedPair('ev_oversized', ddl, 'acct');
    const big = JSON.stringify({ id: 1, v: 'x'.repeat(16 * 2 ** 20) });
    const many = JSON.stringify(Array.from({ length: 20_000 }, (_, i) => ({ id: i + 2, v: `r${i}` })));
    await sql(root.db, 'select pgq.insert_event($1, $2, $3, $4, null, null, null)', [root.queueName, 'I', big, 'public.acct']);
    await sql(root.db, 'select pgq.insert_event($1, $2, $3, $4, null, null, null)', [root.queueName, 'I', many, 'public.acct']);
    await syncLeaf(root, leaf);
    expect(await sql(leaf.db, 'select count(*)::int as n, max(length(v))::int as len from acct')).toEqual([{ n: 20_001, len: 16 * 2 ** 20 }]);
  });
});

describe('malformed Lambda events and admin payloads', () => {
  let root: string;
  let leaf: string;
  const call = async (h: (e: never, c: never) => Promise<unknown>, event: unknown) =>
    (await h(event as never, localContext('test', 20_000) as never)) as { ok: boolean; error?: string; exitCode?: number };

  beforeAll(async () => {
    ({ root: { db: root }, leaf: { db: leaf } } = await replicatedPair('lambda_hostile', 'create table public.t (id int primary key)', 't'));
    process.env.LAMBDISTE_NODES = JSON.stringify({
      nodes: [
        { name: 'src', type: 'root', queue: 'replika', db: root },
        { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: leaf },
      ],
    });
    resetTopology();
    setInvoker(new InProcessInvoker(async () => undefined));
  });
  afterAll(async () => {
    await closePools();
  });

  it('are answered { ok: false } with a clear error and change nothing', async () => {
    const before = await sql(leaf, 'select count(*)::int as n from lambdiste.table_info');
    const invalid = 'Event object failed validation';
    for (const event of [null, [], 'dst', 42, {}, { node: '' }, { node: 7 }, { node: 'dst', extra: 1 }, { node: ['dst'] }, { node: { toString: 'dst' } }]) {
      expect(await call(consumer, event), JSON.stringify(event)).toMatchObject({ ok: false, error: invalid });
    }
    expect(await call(consumer, { node: 'x'.repeat(100_000) })).toMatchObject({ ok: false, error: expect.stringMatching(/^Unknown node "x+" \(known: src, dst\)$/) });
    expect(await call(consumer, { node: '__proto__' })).toMatchObject({ ok: false, error: 'Unknown node "__proto__" (known: src, dst)' });
    for (const event of [null, { nodes: [] }, { nodes: [''] }, { runForMs: -1 }, { runForMs: 'soon' }]) {
      expect(await call(ticker, event), JSON.stringify(event)).toMatchObject({ ok: false, error: invalid });
    }
    for (const event of [
      null, { node: 'dst' }, { command: 'tables' }, { node: 'dst', command: 'tables', args: 'x' },
      { node: 'dst', command: 'tables', args: [1] }, { node: 'dst', command: 'tables', options: { a: { b: 1 } } },
      { node: 'dst', command: 'tables', surprise: true },
    ]) {
      expect(await call(admin, event), JSON.stringify(event)).toMatchObject({ ok: false, error: invalid });
    }
    expect(await call(admin, { node: 'dst', command: 'constructor' })).toMatchObject({ ok: false, error: 'Unknown command: constructor' });
    expect(await call(admin, { node: 'dst', command: '__proto__' })).toMatchObject({ ok: false, error: 'Unknown command: __proto__' });
    expect(await call(admin, { node: 'dst', command: 'add-table', args: ['t; drop table public.t'] }))
      .toMatchObject({ ok: false, error: 'Invalid name: t; drop table public.t' });
    expect(await call(admin, { node: 'dst', command: 'add-table', args: ['nosuch'], options: { copyCondition: '1=1; drop table public.t' } }))
      .toMatchObject({ ok: false, exitCode: 1 });
    expect(await sql(leaf, 'select count(*)::int as n from lambdiste.table_info')).toEqual(before);
    expect(await sql(leaf, `select to_regclass('public.t') is not null as ok`)).toEqual([{ ok: true }]);
  });
});
