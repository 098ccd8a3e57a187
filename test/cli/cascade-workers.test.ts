/**
 * The cascade with `worker` processes as users run them: one per node
 * (the root's ticks, a branch's feeds its queue, a leaf under the branch
 * applies), woken by notifications rather than polling. A takeover run
 * while they work: each worker follows its node's new role (the branch's
 * becomes the root's ticker, the old root's a branch consumer).
 */
import { expect, it } from 'vitest';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { createDatabase } from '../helpers/db.ts';
import { checksum, nodeConfig, run, sql } from '../helpers/nodes.ts';
import { startCli, until } from '../helpers/process.ts';

const ddl = 'create table public.t (id int primary key, v int)';

async function node(server: 'provider' | 'subscriber', name: string): Promise<NodeConfig> {
  const db = await createDatabase(server, name);
  await sql(db, ddl);
  return nodeConfig(name, db);
}

async function ok(n: NodeConfig, command: string, args: string[] = [], options: Record<string, string> = {}) {
  const r = await run(n, command, args, options);
  if (r.exitCode !== 0) throw new Error(`${command} failed:\n${r.log.join('\n')}`);
  return r;
}

const count = async (url: string) => (await sql<{ n: number }>(url, 'select count(*)::int as n from t'))[0]!.n;

it('workers replicate root → branch → leaf, and follow a takeover', async () => {
  const root = await node('provider', 'cw_root');
  const branch = await node('subscriber', 'cw_branch');
  const leaf = await node('subscriber', 'cw_leaf');
  await ok(root, 'create-root', [root.jobName]);
  await ok(root, 'add-table', ['t']);
  await ok(branch, 'create-branch', [branch.jobName], { provider: root.db });
  await ok(branch, 'add-table', ['t']);
  await ok(leaf, 'create-leaf', [leaf.jobName], { provider: branch.db });
  await ok(leaf, 'add-table', ['t']);
  // Polling every minute could not bring the rows over within the test's time: the workers wake each other.
  const workers = [root, branch, leaf].map((n) => startCli(n, 'worker', { loop_delay: '60', tick_period: '60' }));
  for (let i = 1; i <= 3; i++) await sql(root.db, `insert into t values (${i}, ${i})`);
  await until('the rows on the leaf, through the branch', async () => (await count(leaf.db)) === 3, 60_000);

  const t = await ok(branch, 'takeover', [root.jobName], { timeout: '60' });
  expect(t.log.at(-1)).toBe('INFO Done');
  for (let i = 4; i <= 6; i++) await sql(branch.db, `insert into t values (${i}, ${i})`);
  await until('the new root\'s rows on the old root and the leaf', async () =>
    (await count(root.db)) === 6 && (await count(leaf.db)) === 6, 60_000);
  expect(await checksum(root.db, 't')).toBe(await checksum(branch.db, 't'));
  expect(await checksum(leaf.db, 't')).toBe(await checksum(branch.db, 't'));
  expect(await Promise.all(workers.map((w) => w.stop()))).toEqual([0, 0, 0]);
  expect(workers[0]!.log()).toContain('INFO Node "cw_root" is now a branch reading from another provider');
  expect(workers[1]!.log()).toContain('INFO Node "cw_branch" is now a root');
}, 180_000);
