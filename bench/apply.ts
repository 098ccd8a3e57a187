/**
 * Figure 2, apply throughput: a backlog of 350,000 row events (200k
 * inserts, 100k updates, 50k deletes, in transactions of 1,000 rows) piles
 * up with the consumer stopped; then the consumer runs until the subscriber
 * equals the provider. Compared with the physical limit: the same final
 * rows moved by one COPY pipe.   npm run bench:apply [-- --quick]
 */
import { runConsumer } from '../lib/replica/consumer.ts';
import { backlogEvents, benchChecksum, benchTable, writeBacklog } from './backlog.ts';
import { copyPipe, exec, fmt, freshDb, replicaPair, report, reps, servers, stat } from './common.ts';

async function once(rep: number, s: Awaited<ReturnType<typeof servers>>) {
  const rootUrl = await freshDb(s.provider, `apply_src_${rep}`);
  const leafUrl = await freshDb(s.subscriber, `apply_dst_${rep}`);
  await exec(rootUrl, benchTable());
  await exec(leafUrl, benchTable());
  await replicaPair(rootUrl, leafUrl, ['bench']);

  // The backlog, one tick per transaction.
  await writeBacklog(rootUrl, async (db) => {
    await db.query(`select pgq.force_tick('replika'); select pgq.ticker('replika')`);
  });

  const t0 = performance.now();
  let events = 0;
  for (;;) {
    const r = await runConsumer({ queue: 'replika', consumer: 'dst', providerUrl: rootUrl, subscriberUrl: leafUrl, deadline: Date.now() + 600_000 });
    events += r.events;
    if (r.batches === 0 && !r.moreWork) break;
  }
  const applySeconds = (performance.now() - t0) / 1000;
  if ((await benchChecksum(rootUrl)) !== (await benchChecksum(leafUrl))) throw new Error('subscriber differs from provider');

  await exec(leafUrl, benchTable('bench_pipe'));
  const pipeSeconds = await copyPipe(rootUrl, leafUrl, 'bench', 'bench_pipe');
  return { events, applySeconds, pipeSeconds };
}

const s = await servers('apply');
try {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once(i, s));
  // Row events (changes) per second: a multi-row statement's changes travel
  // as events of up to 200 rows, counted here as the changes they carry.
  const evs = stat(runs.map((r) => backlogEvents / r.applySeconds));
  const ratio = stat(runs.map((r) => r.pipeSeconds / r.applySeconds));
  const londiste = 18_970;
  report('apply', [
    ['backlog row events (changes)', String(backlogEvents)],
    ['queue events carrying them', String(runs[0]!.events)],
    ['Lambdiste apply, events/s', fmt(evs)],
    ['apply time, s', fmt(stat(runs.map((r) => r.applySeconds)), 2)],
    ['physical limit (COPY pipe of the final rows), s', fmt(stat(runs.map((r) => r.pipeSeconds)), 2)],
    ['vs physical limit (pipe time / apply time)', `${fmt(ratio, 2)}  target >= 0.30`],
    ['vs Londiste 3 reference (18,970 ev/s)', `${(evs.median / londiste).toFixed(2)}x  target >= 3`],
  ], { eventsPerSecond: evs, ratioToPipe: ratio, runs });
} finally {
  await s.stop();
}
