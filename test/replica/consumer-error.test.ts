/**
 * A consumer run that fails on an event the subscriber refuses (a
 * subscriber-only CHECK constraint) applies nothing of the batch, records
 * the error on the subscriber (table, event id, message, since when, how
 * many attempts) for status, and the first run after the fix applies the
 * batch once and clears it.
 */
import { expect, it } from 'vitest';
import { ApplyError } from '../../lib/replica/apply.ts';
import { checksum, consume, replicatedPair, run, sql, tick } from '../helpers/nodes.ts';

it('records a refused event for status until a run succeeds, applying the batch exactly once', async () => {
  const { root, leaf } = await replicatedPair('refused_ev', 'create table public.t (id int primary key, v int)', 't');
  await sql(leaf.db, 'alter table t add constraint small check (v < 100)');
  const errors = () => sql(leaf.db, 'select err_consumer, err_message, err_table, err_event::int, err_since, err_attempts from lambdiste.consumer_error');
  const position = () => sql(leaf.db, 'select app_tick::int from lambdiste.applied where app_consumer = $1', [leaf.jobName]);
  const before = await position();

  await sql(root.db, 'insert into t values (1, 5), (2, 500), (3, 7)');
  const [bad] = await sql<{ id: number }>(root.db, `select ev_id::int as id from pgq.event_template where ev_data like '%500%'`);
  await tick(root);

  const failure = await consume(root, leaf).catch((e: unknown) => e);
  expect(failure).toBeInstanceOf(ApplyError);
  expect(failure).toMatchObject({ table: 'public.t', eventId: bad!.id });
  expect(await sql(leaf.db, 'select count(*)::int as n from t')).toEqual([{ n: 0 }]);
  expect(await position()).toEqual(before);
  const [first] = await errors();
  expect(first).toMatchObject({
    err_consumer: leaf.jobName,
    err_message: `Cannot apply event ${bad!.id} to public.t: new row for relation "t" violates check constraint "small"`,
    err_table: 'public.t',
    err_event: bad!.id,
    err_attempts: 1,
  });

  await expect(consume(root, leaf)).rejects.toThrow(ApplyError);
  const [second] = await errors();
  expect(second).toMatchObject({ err_attempts: 2, err_since: first!.err_since });
  const status = await run(leaf, 'status');
  expect((status.data as Record<string, unknown>[])[1]).toMatchObject({
    node: leaf.jobName, last_error: first!.err_message, error_since: (first!.err_since as Date).toISOString(), error_attempts: 2,
  });

  await sql(leaf.db, 'alter table t drop constraint small');
  const r = await consume(root, leaf);
  expect(r.batches).toBeGreaterThan(0);
  expect(await errors()).toEqual([]);
  expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
  expect((await run(leaf, 'status')).data as Record<string, unknown>[]).toContainEqual(
    expect.objectContaining({ node: leaf.jobName, last_error: null, error_since: null, error_attempts: null }),
  );
});
