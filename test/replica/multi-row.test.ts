/**
 * Events of multi-row statements: the capture writes one event per 200
 * rows, whose ev_data is a json array of them; single-row statements keep
 * one event whose ev_data is the row. The consumer splits the arrays back
 * into rows, as captured.
 */
import { describe, expect, it } from 'vitest';
import { splitJsonArray } from '../../lib/replica/apply.ts';
import { checksum, makeCluster, replicatedPair, run, sql, syncLeaf } from '../helpers/nodes.ts';

describe('splitJsonArray', () => {
  it('cuts a json array into its elements, as written', () => {
    const text = `[{"a":"}],[{","b":[1,{"c":"\\\\"}]}, {"x":"\\"]"}, {"n":12345678901234567890.10}  ,{}]`;
    const parts = splitJsonArray(text);
    expect(parts).toEqual([`{"a":"}],[{","b":[1,{"c":"\\\\"}]}`, `{"x":"\\"]"}`, `{"n":12345678901234567890.10}`, `{}`]);
    expect(parts.map((p) => JSON.parse(p))).toEqual(JSON.parse(text));
  });
});

it('captures multi-row statements as events of up to 200 rows, and applies them', async () => {
  const { root, leaf } = await replicatedPair('multirow', 'create table public.m (id int primary key, v text, n numeric)', 'm');

  const events = async () => sql(root.db, `select ev_type, json_typeof(ev_data::json) as kind,
      case json_typeof(ev_data::json) when 'array' then json_array_length(ev_data::json) else 1 end as rows
    from pgq.event_template where ev_extra1 = 'public.m' order by ev_id`);
  await sql(root.db, `insert into m select g, 'v' || g, g * 1.10 from generate_series(1, 450) g`);
  await sql(root.db, `insert into m values (1000, 'one', 0.5)`);
  await sql(root.db, `update m set id = id + 10000, n = 123456789012345678901234567890.123 where id <= 250`);
  expect(await events()).toEqual([
    { ev_type: 'I', kind: 'array', rows: 200 }, { ev_type: 'I', kind: 'array', rows: 200 }, { ev_type: 'I', kind: 'array', rows: 50 },
    { ev_type: 'I', kind: 'object', rows: 1 },
    // The keys that vanished, then the new rows.
    { ev_type: 'D', kind: 'array', rows: 200 }, { ev_type: 'D', kind: 'array', rows: 50 },
    { ev_type: 'U', kind: 'array', rows: 200 }, { ev_type: 'U', kind: 'array', rows: 50 },
  ]);
  await sql(root.db, `delete from m where id between 300 and 420`);
  await syncLeaf(root, leaf);
  expect(await checksum(leaf.db, 'm')).toBe(await checksum(root.db, 'm'));
  expect(await sql(leaf.db, 'select count(*)::int as n, max(n)::text as big from m')).toEqual([
    { n: 330, big: '123456789012345678901234567890.123' },
  ]);
});

it('writes one event per row change with --rows-per-event 1, and refuses counts out of range', async () => {
  const { root, leaves: [leaf] } = await makeCluster('rowevents', 1);
  const ddl = 'create table public.r (id int primary key, v text)';
  await sql(root.db, ddl);
  await sql(leaf!.db, ddl);
  expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
  for (const bad of [0, 1001, 'ten']) {
    await expect(run(root, 'add-table', ['r'], { rowsPerEvent: bad })).rejects.toThrow(
      `--rows-per-event must be an integer from 1 to 1000, not ${bad}`);
  }
  expect(await sql(root.db, `select count(*)::int as n from lambdiste.table_info`)).toEqual([{ n: 0 }]);
  expect((await run(root, 'add-table', ['r'], { rowsPerEvent: 1 })).exitCode).toBe(0);
  expect((await run(leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db })).exitCode).toBe(0);
  expect((await run(leaf!, 'add-table', ['r'], { expectSync: true })).exitCode).toBe(0);

  await sql(root.db, `insert into r select g, 'v' || g from generate_series(1, 300) g`);
  await sql(root.db, `update r set id = -id where id <= 100`);
  expect(await sql(root.db, `select ev_type, count(*)::int as n, bool_and(json_typeof(ev_data::json) = 'object') as objects
    from pgq.event_template where ev_extra1 = 'public.r' group by ev_type order by ev_type`)).toEqual([
    { ev_type: 'D', n: 100, objects: true }, { ev_type: 'I', n: 300, objects: true }, { ev_type: 'U', n: 100, objects: true },
  ]);
  await syncLeaf(root, leaf!);
  expect(await checksum(leaf!.db, 'r')).toBe(await checksum(root.db, 'r'));
});
