/**
 * Where an apply's time goes: the apply-cli run of one backlog shape through
 * the leaf's worker process, with pg_stat_statements on both servers; prints
 * the statements by total time on the subscriber and on the provider.
 *   npx tsx bench/profile-apply.ts [--quick] [--shape=user_info]
 */
import { startLocalCluster } from '../lib/db/embedded.ts';
import { caughtUp, shapeNamed, writeBacklog } from './backlog.ts';
import { startDaemon } from './cli.ts';
import { exec, freshDb, replicaPair } from './common.ts';

const shape = shapeNamed(process.argv.find((a) => a.startsWith('--shape='))?.slice(8) ?? 'user_info');
const settings = { fsync: 'on', shared_buffers: '256MB', max_wal_size: '4GB', shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' };
const [provider, subscriber] = await Promise.all([
  startLocalCluster('bench-profile-provider', { settings }),
  startLocalCluster('bench-profile-subscriber', { settings }),
]);
try {
  const src = await freshDb(provider, 'prof_src');
  const dst = await freshDb(subscriber, 'prof_dst');
  await exec(src, shape.ddl());
  await exec(dst, shape.ddl());
  const { root, leaf } = await replicaPair(src, dst, [shape.table]);
  const ticker = startDaemon(root, 'ticker');
  await writeBacklog(src, async () => {}, shape);
  await new Promise((r) => setTimeout(r, 1500));
  await ticker.stop();
  for (const url of [src, dst]) await exec(url, 'create extension if not exists pg_stat_statements; select pg_stat_statements_reset()');
  const t0 = performance.now();
  const worker = startDaemon(leaf, 'worker');
  const seconds = ((await caughtUp(src, dst, shape.table)) - t0) / 1000;
  await worker.stop();
  console.log(`${shape.name}: ${shape.changes} changes in ${seconds.toFixed(2)} s = ${Math.round(shape.changes / seconds)} changes/s`);
  for (const [side, url] of [['subscriber', dst], ['provider', src]] as const) {
    const [r] = await exec(url, `select round(total_exec_time::numeric, 0) as ms, calls, rows,
        regexp_replace(left(query, 160), '\\s+', ' ', 'g') as query
      from pg_stat_statements where query not like '%pg_stat_statements%' and dbid = (select oid from pg_database where datname = current_database())
      order by total_exec_time desc limit 14`);
    console.log(`\n${side}`);
    for (const row of r!.rows) console.log(`${String(row.ms).padStart(7)} ms ${String(row.calls).padStart(6)}× ${String(row.rows).padStart(8)} rows  ${row.query}`);
  }
} finally {
  await Promise.all([provider.stop(), subscriber.stop()]);
}
