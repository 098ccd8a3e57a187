/**
 * The apply's net effect per key, found by the staged statement in
 * PostgreSQL (the last event per key wins), for keys of every kind: the
 * subscriber ends equal to the provider.
 */
import { expect, it } from 'vitest';
import { checksum, replicatedPair, sql, syncLeaf } from '../helpers/nodes.ts';

const replicated = (name: string, ddl: string) => replicatedPair(name, ddl, 'k');

it('keeps bigint keys apart that a double would round to the same number', async () => {
  const { root, leaf } = await replicated('netbig', 'create table public.k (id bigint primary key, v text)');
  // 2^53 and 2^53 + 1 are one double: compared in Node they would be one key.
  await sql(root.db, `begin;
    insert into k values (9007199254740992, 'a'), (9007199254740993, 'b'), (1, 'small');
    update k set v = 'a2' where id = 9007199254740992;
    delete from k where id = 1;
    commit;`);
  await syncLeaf(root, leaf);
  expect(await sql(leaf.db, 'select id::text, v from k order by id')).toEqual([
    { id: '9007199254740992', v: 'a2' }, { id: '9007199254740993', v: 'b' },
  ]);
});

it('finds the last event per key in one page, for text and numeric keys', async () => {
  for (const [name, type, a, b, c] of [
    ['nettext', 'text', `'a'`, `'b'`, `'c'`],
    ['netnum', 'numeric', '1.0', '2.0', '3.0'],
  ] as const) {
    const { root, leaf } = await replicated(name, `create table public.k (id ${type} primary key, v text)`);
    await sql(root.db, `begin;
      insert into k values (${a}, 'x'), (${b}, 'y');
      delete from k where id = ${a};
      insert into k values (${a}, 'again');
      update k set id = ${c} where id = ${b};
      insert into k values (${b}, 'new b');
      update k set v = 'last' where id = ${b};
      insert into k values ('9', 'gone');
      delete from k where id = '9';
      commit;`);
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 'k')).toBe(await checksum(root.db, 'k'));
    expect(await sql(leaf.db, 'select id::text, v from k order by id')).toEqual(
      await sql(root.db, 'select id::text, v from k order by id'));
    expect((await sql(leaf.db, 'select count(*)::int as n from k'))[0]).toEqual({ n: 3 });
  }
});
