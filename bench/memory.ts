/**
 * Figure 5, memory: peak RSS of one consumer process applying a single
 * batch of 1,000,000 events (quick: 200,000). The consumer runs in its own
 * process (bench/memory-child.ts) so that its peak is its own.
 *   npm run bench:memory [-- --quick]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { exec, freshDb, quick, replicaPair, report, servers } from './common.ts';

const events = quick ? 200_000 : 1_000_000;
const ddl = 'create table public.mem (id bigint primary key, a int, b text, ts timestamptz)';

const s = await servers('memory');
try {
  const src = await freshDb(s.provider, 'mem_src');
  const dst = await freshDb(s.subscriber, 'mem_dst');
  await exec(src, ddl);
  await exec(dst, ddl);
  await replicaPair(src, dst, ['mem']);
  // One transaction, one tick: a single batch of `events` single-row events,
  // written as pgq.insert_event writes them (a multi-row statement would
  // make 200-row events: fewer, larger, and no harder on memory).
  await exec(src, `select pgq.insert_event('replika', 'I', row_to_json(r)::text, 'public.mem', null, null, null)
    from (select g as id, g as a, md5(g::text) as b, now() as ts from generate_series(1, ${events}) g) r`);
  await exec(src, `select pgq.force_tick('replika'); select pgq.ticker('replika')`);
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'memory-child.ts'), src, dst], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!);
  report('memory', [
    ['events in the batch', String(events)],
    ['events applied by the child', String(r.events)],
    ['peak RSS of the consumer process, MB', `${r.maxRssMb.toFixed(0)}  target <= 256`],
    ['seconds', r.seconds.toFixed(1)],
  ], { events, ...r });
} finally {
  await s.stop();
}
