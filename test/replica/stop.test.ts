/**
 * A stop request (SIGTERM to a worker) in the middle of a batch: the run
 * ends at the next page, committing what it applied with its position
 * inside the batch; the next run applies the rest, once.
 */
import { expect, it } from 'vitest';
import { checksum, consume, replicatedPair, sql, tick } from '../helpers/nodes.ts';

it('commits the pages applied so far when stopped mid-batch, and the next run finishes the batch once', async () => {
  const { root, leaf } = await replicatedPair('stop', 'create table public.t (id int primary key, v text)', 't');
  // 10,000 rows: 50 events of 200 rows, 5 events a page: the batch has 10 pages.
  await sql(root.db, `insert into t select g, 'v' || g from generate_series(1, 10000) g`);
  await tick(root);

  const abort = new AbortController();
  const r = await consume(root, leaf, {
    pageSize: 5,
    signal: abort.signal,
    failpoint: (point) => {
      if (point === 'mid-apply') abort.abort();
    },
  });
  expect(r).toMatchObject({ batches: 1, moreWork: true });
  const [pos] = await sql(leaf.db, 'select app_partial_event is not null as partial from lambdiste.applied where app_consumer = $1', [leaf.jobName]);
  expect(pos!.partial).toBe(true);
  const n = (await sql<{ n: number }>(leaf.db, 'select count(*)::int as n from t'))[0]!.n;
  expect(n).toBeGreaterThan(0);
  expect(n).toBeLessThan(10000);

  await consume(root, leaf);
  expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
});
