/**
 * The ordered fallback: a batch whose net effect cannot be applied set-wise
 * (two rows swap the values of a unique column, which only works one row
 * at a time through a third value) is applied again event by event.
 */
import { expect, it } from 'vitest';
import { checksum, makeCluster, run, sql, syncLeaf } from '../helpers/nodes.ts';

it('applies a batch event by event when the set-based step hits a unique constraint', async () => {
  const { root, leaves: [leaf] } = await makeCluster('fallback', 1);
  const ddl = 'create table public.u (id int primary key, email text not null unique)';
  await sql(root.db, ddl + `; insert into u values (1, 'a@x'), (2, 'b@x'), (3, 'c@x')`);
  await sql(leaf!.db, ddl);
  expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
  expect((await run(root, 'add-table', ['u'])).exitCode).toBe(0);
  expect((await run(leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db })).exitCode).toBe(0);
  expect((await run(leaf!, 'add-table', ['u'])).exitCode).toBe(0);
  await syncLeaf(root, leaf!);

  await sql(root.db, `begin;
    update u set email = 'tmp' where id = 1;
    update u set email = 'a@x' where id = 2;
    update u set email = 'b@x' where id = 1;
    commit;`);
  // Set-wise, row 1 would take b@x while row 2 still holds it.
  await syncLeaf(root, leaf!);
  expect(await checksum(leaf!.db, 'u')).toBe(await checksum(root.db, 'u'));
  expect(await sql(leaf!.db, 'select id, email from u order by id')).toEqual([
    { id: 1, email: 'b@x' }, { id: 2, email: 'a@x' }, { id: 3, email: 'c@x' },
  ]);
});
