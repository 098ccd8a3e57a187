/**
 * `worker` and `ticker` as users run them (node bin/lambdiste.mjs NODE.ini
 * worker, each in its own process): they outlive their connections being
 * cut, retry an event the subscriber refuses until the cause is fixed,
 * stop on SIGTERM with exit code 0, and end on a configuration error.
 */
import { describe, expect, it } from 'vitest';
import { checksum, makeCluster, replicatedPair, run, sql } from '../helpers/nodes.ts';
import { backends, startCli, terminate, until } from '../helpers/process.ts';

const ddl = 'create table public.t (id int primary key, v int)';
const count = async (url: string) => (await sql<{ n: number }>(url, 'select count(*)::int as n from t'))[0]!.n;
const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

describe('daemons', () => {
  it('the root ticker and a leaf worker keep running when their connections are cut, and replicate later changes', async () => {
    const { root, leaf } = await replicatedPair('cut', ddl, 't');
    const ticker = startCli(root, 'ticker', { tick_period: '0.1' });
    const worker = startCli(leaf, 'worker', { loop_delay: '0.1' });
    await sql(root.db, 'insert into t values (1, 1)');
    await until('the first row on the leaf', async () => (await count(leaf.db)) === 1);
    // The leaf worker keeps one connection to each database, the ticker one to the root's.
    await until('the daemons connected', async () =>
      (await backends(root.db, root.jobName)) === 1 && (await backends(root.db, leaf.jobName)) >= 1 && (await backends(leaf.db, leaf.jobName)) >= 1);

    expect(await terminate(root.db, root.jobName)).toBe(1);
    // Cutting one of the worker's connections may make it drop the other before it is cut too.
    expect((await terminate(root.db, leaf.jobName)) + (await terminate(leaf.db, leaf.jobName))).toBeGreaterThanOrEqual(1);
    await sql(root.db, 'insert into t values (2, 2)');
    await until('the second row on the leaf', async () => (await count(leaf.db)) === 2);

    // The row is committed before the round that applied it ends and logs.
    await until('both daemons to log their recovery', () => [ticker, worker].every((p) => p.log().includes('INFO Recovered')));
    for (const p of [ticker, worker]) {
      expect(p.log()).toMatch(/^ERROR terminating connection due to administrator command \(failure 1, retrying in 1 s\)$/m);
      expect(p.log()).toMatch(/^INFO Recovered after 1 failed round$/m);
      expect(p.running()).toBe(true);
    }
    expect([await ticker.stop(), await worker.stop()]).toEqual([0, 0]);
    expect(ticker.log()).toMatch(/^INFO Ticker stopped after \d+ ticks$/m);
    for (const p of [ticker, worker]) expect(p.log()).not.toContain(passwordOf(root.db));
    expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
  });

  it('wake each other: the ticker when events arrive, the leaf worker when a batch is closed', async () => {
    const { root, leaf } = await replicatedPair('wake', ddl, 't');
    // Polling every minute could not bring these rows over within the test's time.
    const rootWorker = startCli(root, 'worker', { tick_period: '60' });
    const leafWorker = startCli(leaf, 'worker', { loop_delay: '60' });
    for (let i = 1; i <= 3; i++) {
      await sql(root.db, `insert into t values (${i}, ${i})`);
      await until(`row ${i} on the leaf`, async () => (await count(leaf.db)) === i, 20_000);
    }
    expect([await rootWorker.stop(), await leafWorker.stop()]).toEqual([0, 0]);
  });

  it('retries an event the subscriber refuses, shows it in status, and catches up once the cause is fixed', async () => {
    const { root, leaf } = await replicatedPair('refused', ddl, 't');
    await sql(leaf.db, 'alter table t add constraint small check (v < 100)');
    const rootWorker = startCli(root, 'worker', { tick_period: '0.1' });
    const leafWorker = startCli(leaf, 'worker', { loop_delay: '0.1', retry_delay: '0.2', retry_max_delay: '0.5' });
    await sql(root.db, 'insert into t values (1, 5), (2, 500)');

    const refused = /^ERROR Cannot apply event (\d+) to public\.t: new row for relation "t" violates check constraint "small" \(failure (\d+), retrying in \d+ ms\)$/gm;
    await until('the worker to retry the event', () => [...leafWorker.log().matchAll(refused)].length >= 3);
    const [first, , third] = [...leafWorker.log().matchAll(refused)];
    expect([first![2], third![2]]).toEqual(['1', '3']);
    expect(third![1]).toBe(first![1]);
    // Nothing of the batch is applied, not even the row the constraint accepts.
    expect(await count(leaf.db)).toBe(0);

    const status = await run(leaf, 'status');
    const leafRow = (status.data as Record<string, unknown>[]).find((r) => r.node === leaf.jobName)!;
    expect(leafRow).toMatchObject({
      last_error: `Cannot apply event ${first![1]} to public.t: new row for relation "t" violates check constraint "small"`,
      error_since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(leafRow.error_attempts).toBeGreaterThanOrEqual(3);
    expect(status.log).toContainEqual(expect.stringMatching(
      new RegExp(`^INFO {7}ERR: ${leaf.jobName}: Cannot apply event ${first![1]} to public\\.t: .* \\(failing since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC, \\d+ attempts\\)$`)));

    await sql(leaf.db, 'alter table t drop constraint small');
    await until('the leaf to catch up', async () => (await count(leaf.db)) === 2);
    await until('the error to leave status', async () => {
      const rows = (await run(leaf, 'status')).data as Record<string, unknown>[];
      return rows.find((r) => r.node === leaf.jobName)!.last_error === null;
    });
    await until('the worker to log its recovery', () => /^INFO Recovered after \d+ failed rounds$/m.test(leafWorker.log()));
    expect(await checksum(leaf.db, 't')).toBe(await checksum(root.db, 't'));
    expect([await rootWorker.stop(), await leafWorker.stop()]).toEqual([0, 0]);
  });

  it('stops on SIGTERM in the middle of a copy with exit code 0, leaving only whole chunks copied', async () => {
    const { root, leaves: [leaf] } = await makeCluster('sigterm');
    await sql(root.db, `${ddl}; insert into t select g, g % 100 from generate_series(1, 300000) g`);
    await sql(leaf!.db, ddl);
    for (const [node, command, args, options] of [
      [root, 'create-root', [root.jobName], {}], [root, 'add-table', ['t'], {}],
      [leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db }], [leaf!, 'add-table', ['t'], {}],
    ] as const) expect((await run(node, command, [...args], options)).exitCode).toBe(0);

    const worker = startCli(leaf!, 'worker');
    await until('the copy to start', () => worker.log().includes('INFO Copy started: public.t'));
    expect(await worker.stop()).toBe(0);
    const [state] = await sql(leaf!.db, `select tbl_merge_state, tbl_copy_rows::int as rows from lambdiste.table_info`);
    expect(['in-copy', 'catching-up']).toContain(state!.tbl_merge_state);
    expect(await count(leaf!.db)).toBe(state!.rows);
  });

  it('ends with exit code 1 and one line on a configuration error', async () => {
    const { root, leaves: [leaf] } = await makeCluster('config');
    const noNode = startCli(leaf!, 'worker');
    expect(await noNode.exited).toBe(1);
    expect(noNode.log()).toBe(`ERROR No node for queue "replika" in this database: run create-root or create-leaf first\n`);

    expect((await run(root, 'create-root', [root.jobName])).exitCode).toBe(0);
    expect((await run(leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db })).exitCode).toBe(0);
    const notRoot = startCli(leaf!, 'ticker');
    expect(await notRoot.exited).toBe(1);
    expect(notRoot.log()).toBe(`ERROR This database is not the root of queue "replika"\n`);

    const badSetting = startCli(leaf!, 'worker', { retry_delay: 'soon' });
    expect(await badSetting.exited).toBe(1);
    expect(badSetting.log()).toBe('ERROR Invalid number of seconds for retry_delay: soon\n');
  });
});
