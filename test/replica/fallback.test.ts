/**
 * The ordered fallback: a batch whose net effect cannot be applied set-wise
 * (two rows swap the values of a unique column, which only works one row
 * at a time through a third value) is applied again event by event.
 */
import { expect, it } from 'vitest';
import { checksum, consume, replicatedPair, sql, syncLeaf, tick } from '../helpers/nodes.ts';

const uniqueEmails = 'create table public.u (id int primary key, email text not null unique)';
/** Rows 1 and 2 swap emails through a third value: set-wise, row 1 would take b@x while row 2 still holds it. */
const swap = `update u set email = 'tmp' where id = 1;
    update u set email = 'a@x' where id = 2;
    update u set email = 'b@x' where id = 1;`;

it('applies a batch event by event when the set-based step hits a unique constraint', async () => {
  const { root, leaf } = await replicatedPair('fallback', uniqueEmails, 'u',
    `insert into u values (1, 'a@x'), (2, 'b@x'), (3, 'c@x')`);

  await sql(root.db, `begin;
    insert into u values (4, 'd@x'), (5, 'e@x');
    ${swap}
    commit;`);
  await syncLeaf(root, leaf);
  expect(await checksum(leaf.db, 'u')).toBe(await checksum(root.db, 'u'));
  expect(await sql(leaf.db, 'select id, email from u order by id')).toEqual([
    { id: 1, email: 'b@x' }, { id: 2, email: 'a@x' }, { id: 3, email: 'c@x' }, { id: 4, email: 'd@x' }, { id: 5, email: 'e@x' },
  ]);
});

it('reads a large chunk back a page at a time when it falls back, applying every event once', async () => {
  const { root, leaf } = await replicatedPair('fallbackpages', uniqueEmails, 'u',
    `insert into u values (1, 'a@x'), (2, 'b@x')`);
  // 6,000 single-row events (more than one page read back), then the swap that defeats the set-based step.
  await sql(root.db, `begin;
    do $$ begin for i in 10..6009 loop insert into u values (i, 'u' || i || '@x'); end loop; end $$;
    ${swap}
    update u set email = 'last@x' where id = 6009;
    commit;`);
  await syncLeaf(root, leaf);
  expect(await checksum(leaf.db, 'u')).toBe(await checksum(root.db, 'u'));
  expect(await sql(leaf.db, `select count(*)::int as n, min(email) filter (where id = 1) as one, min(email) filter (where id = 6009) as last from u`))
    .toEqual([{ n: 6002, one: 'b@x', last: 'last@x' }]);
});

it('stops at a malformed event with a clear error, applying nothing of its batch', async () => {
  const { root, leaf } = await replicatedPair('malformed', 'create table public.m (id int primary key, v text)', 'm');
  const position = () => sql(leaf.db, 'select app_tick from lambdiste.applied where app_consumer = $1', [leaf.jobName]);
  const before = await position();

  await sql(root.db, `begin;
    insert into m values (1, 'good');
    select pgq.insert_event('replika', 'I', 'this is not json', 'public.m', null, null, null);
    commit;`);
  await tick(root);
  await expect(consume(root, leaf)).rejects.toThrow(/^Event \d+ is malformed: its row is not valid json$/);
  expect(await sql(leaf.db, 'select count(*)::int as n from m')).toEqual([{ n: 0 }]);
  expect(await position()).toEqual(before);

  // Valid json that is not an object is refused the same way, and stops the same batch.
  await sql(root.db, `update pgq.event_template set ev_data = '[1, "good"]' where ev_data = 'this is not json'`);
  await expect(consume(root, leaf)).rejects.toThrow(/^Event \d+ is malformed: its row is not a json object$/);
  expect(await sql(leaf.db, 'select count(*)::int as n from m')).toEqual([{ n: 0 }]);
  expect(await position()).toEqual(before);
});
