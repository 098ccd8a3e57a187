/**
 * Everything through pgbouncer in transaction pooling mode (as RDS Proxy
 * and most poolers run): each transaction may land on any server
 * connection, with no session state kept and no startup options taken.
 * The admin commands, the initial copy and the workers run through it,
 * with a pool of two server connections per database, and values stay
 * exact though the subscriber's defaults would print them otherwise.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import { handler as admin } from '../../functions/admin.ts';
import { handler as consumer } from '../../functions/consumer.ts';
import { handler as ticker } from '../../functions/ticker.ts';
import { InProcessInvoker } from '../../lib/invoke/in-process.ts';
import { closePools } from '../../lib/lambda/pools.ts';
import { localContext, resetTopology, setInvoker } from '../../lib/lambda/runtime.ts';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { connect } from '../../lib/db/connect.ts';
import { call } from '../helpers/functions.ts';
import { makeCluster, run, sql } from '../helpers/nodes.ts';
import { hasPgbouncer, startPgbouncer } from '../helpers/pooler.ts';
import { startCli, until } from '../helpers/process.ts';

const ddl = `create table public.t (id int primary key, f float8, d date, i interval, v text)`;
const fill = (from: number, to: number) =>
  `insert into t select g, 1.0 / g, date '2000-01-01' + g, make_interval(secs => g / 7.0), 'v' || g from generate_series(${from}, ${to}) g`;

/** The table's values as text, read with Lambdiste's fixed settings (directly, not through the pooler). */
async function values(url: string) {
  const db = await connect(url);
  try {
    return (await db.query('select id, f::text, d::text, i::text, v from public.t order by id')).rows;
  } finally {
    await db.end();
  }
}

describe.skipIf(!hasPgbouncer)('through pgbouncer in transaction mode', () => {
  it('sets up, copies and replicates, with the workers and admin commands all going through it', async () => {
    const { root: rootDirect, leaves: [leafDirect] } = await makeCluster('pooled', 1);
    await sql(rootDirect.db, `${ddl}; ${fill(1, 3000)}`);
    await sql(leafDirect!.db, `${ddl};
      alter database ${new URL(leafDirect!.db).pathname.slice(1)} set extra_float_digits = 0;
      alter database ${new URL(leafDirect!.db).pathname.slice(1)} set DateStyle = 'SQL, DMY';
      alter database ${new URL(leafDirect!.db).pathname.slice(1)} set IntervalStyle = 'sql_standard';`);
    const [rootUrl, leafUrl] = await startPgbouncer([rootDirect.db, leafDirect!.db]);
    const root: NodeConfig = { ...rootDirect, db: rootUrl! };
    const leaf: NodeConfig = { ...leafDirect!, db: leafUrl! };

    for (const [node, command, args, options] of [
      [root, 'create-root', [root.jobName], {}],
      [root, 'add-table', ['t'], {}],
      [leaf, 'create-leaf', [leaf.jobName], { provider: root.db }],
      [leaf, 'add-table', ['t'], {}],
    ] as const) {
      const r = await run(node, command, [...args], options);
      expect([command, r.exitCode, r.log.filter((l) => l.startsWith('ERROR'))]).toEqual([command, 0, []]);
    }
    const workers = [startCli(root, 'worker'), startCli(leaf, 'worker')];
    await until('the copy to end', async () => (await run(leaf, 'tables')).tables[0]?.rows.every((r) => r[1] === 'ok') ?? false);
    await sql(rootDirect.db, `${fill(3001, 4000)}; update t set v = 'changed' where id % 10 = 0; delete from t where id % 7 = 0`);
    const want = await values(rootDirect.db);
    await until('the leaf to catch up', async () => JSON.stringify(await values(leafDirect!.db)) === JSON.stringify(want))
      .catch((err: Error) => {
        throw new Error(`${err.message}; the workers logged:\n${workers.map((w) => w.log()).join('\n')}`);
      });
    const status = await run(leaf, 'status');
    expect(status.exitCode).toBe(0);
    expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0]);
    for (const w of workers) expect(w.log()).not.toMatch(/^ERROR/m);
  });

  it('runs the Lambda handlers through it: admin, the ticker and the consumer, with copy and capture', async () => {
    const { root: rootDirect, leaves: [leafDirect] } = await makeCluster('pooledfn', 1);
    await sql(rootDirect.db, `${ddl}; ${fill(1, 3000)}`);
    await sql(leafDirect!.db, ddl);
    const [rootUrl, leafUrl] = await startPgbouncer([rootDirect.db, leafDirect!.db]);
    process.env.LAMBDISTE_NODES = JSON.stringify({ nodes: [
      { name: 'src', type: 'root', queue: 'replika', db: rootUrl },
      { name: 'dst', type: 'leaf', queue: 'replika', provider: 'src', db: leafUrl },
    ] });
    process.env.LAMBDISTE_SAFETY_MS = '200';
    resetTopology();
    const invoker = new InProcessInvoker((event) => consumer(event as never, localContext('consumer', 20_000) as never));
    setInvoker(invoker);
    onTestFinished(async () => {
      await invoker.drain();
      await closePools();
    });

    for (const [node, command, args] of [['src', 'create-root', []], ['src', 'add-table', ['t']], ['dst', 'create-leaf', []], ['dst', 'add-table', ['t']]] as const) {
      expect([command, await call(admin, { node, command, args: [...args] })]).toMatchObject([command, { ok: true }]);
    }
    await sql(rootDirect.db, `${fill(3001, 4000)}; update t set v = 'changed' where id % 10 = 0; delete from t where id % 7 = 0`);
    const want = await values(rootDirect.db);
    await until('the leaf to catch up', async () => {
      expect(await call(ticker, { runForMs: 300 })).toMatchObject({ ok: true });
      await invoker.drain();
      return JSON.stringify(await values(leafDirect!.db)) === JSON.stringify(want);
    });
    expect(invoker.errors).toEqual([]);
    expect(invoker.invocations).toBeGreaterThan(0);
  });
});
