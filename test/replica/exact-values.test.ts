/**
 * A value must not depend on the session that wrote it, nor on either
 * server's settings. Capture runs in the application's session, with the
 * application's settings; the consumer's sessions get whatever defaults
 * the databases and roles set. So: random rows over every built-in type
 * with an exact text form (test/helpers/values.ts), written in
 * transactions each under a random combination of the settings a value's
 * text depends on, some with a search_path that puts hostile operators and
 * functions first; the provider and subscriber databases get random
 * defaults of their own. Then the subscriber must hold exactly the
 * provider's values, compared value by value through their text.
 *
 * Replay a failure with LAMBDISTE_SEED=<seed from the message>.
 */
import { expect, it } from 'vitest';
import { connect } from '../../lib/db/connect.ts';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { columnKinds, lit, Rand, randomValue, setupSql, type ColumnKind } from '../helpers/values.ts';
import { makeCluster, run, sql, syncLeaf } from '../helpers/nodes.ts';

const SETTINGS: Record<string, string[]> = {
  extra_float_digits: ['-15', '0', '1', '3'],
  DateStyle: ['ISO, MDY', 'SQL, DMY', 'Postgres, MDY', 'German, DMY', 'ISO, YMD', 'SQL, MDY'],
  IntervalStyle: ['postgres', 'postgres_verbose', 'sql_standard', 'iso_8601'],
  TimeZone: ['UTC', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Chatham', 'Europe/Amsterdam', 'Etc/GMT+12'],
  bytea_output: ['hex', 'escape'],
  lc_monetary: ['C', 'C.utf8'],
  standard_conforming_strings: ['on', 'off'],
};

// Objects that would take the place of pg_catalog's where a search_path puts them first.
const hostileSql = `
  create schema evil;
  create function evil.hacked(text, text) returns text language sql immutable as $$ select 'HACKED' $$;
  create operator evil.|| (leftarg = text, rightarg = text, function = evil.hacked);
  create function evil.never(int, int) returns boolean language sql immutable as $$ select false $$;
  create operator evil.= (leftarg = int, rightarg = int, function = evil.never);
  create function evil.never(text, text) returns boolean language sql immutable as $$ select false $$;
  create operator evil.= (leftarg = text, rightarg = text, function = evil.never);
  create function evil.left(text, int) returns text language sql immutable as $$ select 'HACKED' $$;
  create function evil.json_typeof(json) returns text language sql immutable as $$ select 'HACKED' $$;
  create function evil.now() returns timestamptz language sql as $$ select timestamptz '2000-01-01' $$;`;
const HOSTILE_PATH = 'evil, pg_catalog, public';

/** One random value per setting, as SET statements (LOCAL: for one transaction). */
function randomSettings(r: Rand, local: boolean): string {
  const set = local ? 'set local' : 'set';
  return Object.entries(SETTINGS).map(([k, vs]) => `${set} ${k} = ${lit(r.pick(vs))};`).join(' ');
}

async function kindsFor(url: string): Promise<ColumnKind[]> {
  const [{ v }] = (await sql<{ v: number }>(url, 'select current_setting($1)::int as v', ['server_version_num'])) as [{ v: number }];
  const xml = await sql(url, `select '<a/>'::xml`).then(() => true, () => false);
  return columnKinds.filter((k) => (k.since ?? 0) <= v && (k.type !== 'xml' || xml));
}

/** Every value of the table as its text, under one fixed set of settings. */
async function values(url: string, kinds: ColumnKind[]): Promise<Map<number, string[]>> {
  const db = await connect(url);
  try {
    await db.query(`set timezone = 'UTC'`);
    const { rows } = await db.query({
      text: `select id, ${kinds.map((k) => `${k.name}::text`).join(', ')} from public.vals order by id`,
      rowMode: 'array',
    });
    return new Map(rows.map((r) => [Number(r[0]), r.slice(1)]));
  } finally {
    await db.end();
  }
}

async function differences(root: NodeConfig, leaf: NodeConfig, kinds: ColumnKind[]) {
  const [want, got] = [await values(root.db, kinds), await values(leaf.db, kinds)];
  const out: { id: number; column: string; provider?: string | null; subscriber?: string | null }[] = [];
  for (const id of new Set([...want.keys(), ...got.keys()])) {
    const [a, b] = [want.get(id), got.get(id)];
    if (!a || !b) out.push({ id, column: a ? '(row missing)' : '(extra row)' });
    else kinds.forEach((k, i) => a[i] !== b[i] && out.push({ id, column: k.name, provider: a[i], subscriber: b[i] }));
  }
  return out;
}

/** A transaction of random writes (only inserts with `insertsOnly`), under random settings. */
function randomTransaction(r: Rand, kinds: ColumnKind[], ids: number[], nextId: () => number, insertsOnly = false): string {
  const row = (id: number) => `(${id}, ${kinds.map((k) => randomValue(r, k)).join(', ')})`;
  const cols = `id, ${kinds.map((k) => k.name).join(', ')}`;
  const sets = () => [...new Set(r.times(1, 6, () => r.pick(kinds)))].map((k) => `${k.name} = ${randomValue(r, k)}`).join(', ');
  const statements = r.times(2, 6, () => r.pick([
    () => `insert into public.vals (${cols}) values ${row(nextId())};`,
    () => `insert into public.vals (${cols}) values ${r.times(2, 25, () => row(nextId())).join(', ')};`,
  ].concat(insertsOnly ? [] : [
    () => `update public.vals set ${sets()} where id = ${r.pick(ids)};`,
    () => `update public.vals set ${sets()} where id % ${r.int(2, 5)} = ${r.int(0, 1)};`,
    () => `delete from public.vals where id = ${r.pick(ids)};`,
    () => `update public.vals set id = ${nextId()} where id = ${r.pick(ids)};`,
  ]))());
  const path = r.chance(0.5) ? `set local search_path = ${HOSTILE_PATH};` : '';
  return `begin; ${randomSettings(r, true)} ${path} ${statements.join('\n')} commit;`;
}

it('replicates every value exactly, whatever the writer\'s and the servers\' settings', async () => {
  const seed = Number(process.env.LAMBDISTE_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const r = new Rand(seed);
  const { root, leaves: [leaf] } = await makeCluster('exact', 1);
  const kinds = await kindsFor(root.db);
  const ddl = `${setupSql} ${hostileSql}
    create table public.vals (id int primary key, ${kinds.map((k) => `${k.name} ${k.type}`).join(', ')});`;
  await sql(root.db, ddl);
  await sql(leaf!.db, ddl);

  let last = 0;
  const nextId = () => ++last;
  const ids = () => Array.from({ length: last }, (_, i) => i + 1);
  // Rows there before the copy, then defaults of their own for both databases.
  await sql(root.db, randomTransaction(r, kinds, [1], nextId));
  await sql(root.db, `insert into public.vals (id) values (${nextId()})`);
  for (const node of [root, leaf!]) {
    const db = node.db.replace(/.*\//, '').replace(/\?.*/, '');
    const defaults = Object.entries(SETTINGS).map(([k, vs]) => `alter database ${db} set ${k} = ${lit(r.pick(vs))};`);
    await sql(node.db, `${defaults.join(' ')} alter database ${db} set search_path = ${HOSTILE_PATH};`);
  }

  expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
  expect((await run(root, 'add-table', ['public.vals'])).exitCode).toBe(0);
  expect((await run(leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db })).exitCode).toBe(0);
  expect((await run(leaf!, 'add-table', ['public.vals'])).exitCode).toBe(0);
  await syncLeaf(root, leaf!);
  expect(await differences(root, leaf!, kinds), `seed ${seed}, after the copy`).toEqual([]);

  // Inserts only (they take a statement of their own on the subscriber), then everything.
  for (let round = 0; round < 2; round++) await sql(root.db, randomTransaction(r, kinds, ids(), nextId, true));
  await syncLeaf(root, leaf!);
  expect(await differences(root, leaf!, kinds), `seed ${seed}, after inserts`).toEqual([]);
  for (let round = 0; round < 8; round++) {
    await sql(root.db, randomTransaction(r, kinds, ids(), nextId));
  }
  await syncLeaf(root, leaf!);
  const [{ n }] = (await sql<{ n: number }>(root.db, 'select count(*)::int as n from public.vals')) as [{ n: number }];
  expect(n, `seed ${seed}`).toBeGreaterThan(10);
  expect(await differences(root, leaf!, kinds), `seed ${seed}, after replaying changes`).toEqual([]);
});
