/**
 * Figure 2 through the CLI: a backlog (bench/backlog.ts) written while
 * the root's `worker` ticks with its defaults and the leaf's is stopped;
 * then the leaf's `worker` is started and timed until the subscriber
 * equals the provider. Beside it, the physical limit: the same final rows
 * moved by one COPY pipe.   npx tsx bench/apply-cli.ts [--quick]
 */
import { connect } from '../lib/db/connect.ts';
import { backlogEvents, benchChecksum, benchTable, writeBacklog } from './backlog.ts';
import { startDaemon } from './cli.ts';
import { copyPipe, exec, fmt, freshDb, replicaPair, report, reps, servers, stat } from './common.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Until the leaf's consumer has nothing pending on the root, then the tables compare. */
async function caughtUp(src: string): Promise<void> {
  const db = await connect(src);
  try {
    for (;;) {
      const { rows } = await db.query(
        `select c.pending_events, c.last_tick, q.last_tick_id from pgq.get_consumer_info('replika', 'dst') c, pgq.get_queue_info('replika') q`);
      if (Number(rows[0].pending_events) === 0 && Number(rows[0].last_tick) === Number(rows[0].last_tick_id)) return;
      await sleep(20);
    }
  } finally {
    await db.end();
  }
}

const s = await servers('applycli');
try {
  const runs = [];
  for (let rep = 0; rep < reps; rep++) {
    const src = await freshDb(s.provider, `applycli_src_${rep}`);
    const dst = await freshDb(s.subscriber, `applycli_dst_${rep}`);
    await exec(src, benchTable());
    await exec(dst, benchTable());
    const { root, leaf } = await replicaPair(src, dst, ['bench']);
    const ticker = startDaemon(root, 'worker');
    await writeBacklog(src, async () => {});
    // The ticker closes the last batch.
    await sleep(1500);
    const t0 = performance.now();
    const worker = startDaemon(leaf, 'worker');
    await caughtUp(src);
    const applySeconds = (performance.now() - t0) / 1000;
    await worker.stop();
    await ticker.stop();
    if ((await benchChecksum(src)) !== (await benchChecksum(dst))) throw new Error('subscriber differs from provider');
    await exec(dst, benchTable('bench_pipe'));
    const pipeSeconds = await copyPipe(src, dst, 'bench', 'bench_pipe');
    runs.push({ applySeconds, pipeSeconds });
  }
  const rate = stat(runs.map((r) => backlogEvents / r.applySeconds));
  report('apply-cli', [
    ['backlog row changes', String(backlogEvents)],
    ['leaf worker: changes/s', `${fmt(rate)}  target >= 100,000`],
    ['apply time (worker start to caught up), s', fmt(stat(runs.map((r) => r.applySeconds)), 2)],
    ['physical limit (COPY pipe of the final rows), s', fmt(stat(runs.map((r) => r.pipeSeconds)), 2)],
    ['vs physical limit (pipe time / apply time)', `${fmt(stat(runs.map((r) => r.pipeSeconds / r.applySeconds)), 2)}  target >= 0.30`],
  ], { rate, runs });
} finally {
  await s.stop();
}
