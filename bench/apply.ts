/**
 * Figure 2, apply throughput: a backlog of 350,000 row events (200k
 * inserts, 100k updates, 50k deletes, in transactions of 1,000 rows) piles
 * up with the consumer stopped; then the consumer runs until the subscriber
 * equals the provider. Compared with the physical limit: the same final
 * rows moved by one COPY pipe.   npm run bench:apply [-- --quick]
 */
import { connect } from '../lib/db/connect.ts';
import { runConsumer } from '../lib/replica/consumer.ts';
import { copyPipe, exec, fmt, freshDb, quick, replicaPair, report, reps, servers, stat } from './common.ts';

const scale = quick ? 0.2 : 1;
const inserts = 200_000 * scale;
const updates = 100_000 * scale;
const deletes = 50_000 * scale;
const txRows = 1000;
const table = 'create table public.bench (id bigint primary key, a int not null, b text, ts timestamptz)';

async function once(rep: number, s: Awaited<ReturnType<typeof servers>>) {
  const rootUrl = await freshDb(s.provider, `apply_src_${rep}`);
  const leafUrl = await freshDb(s.subscriber, `apply_dst_${rep}`);
  await exec(rootUrl, table);
  await exec(leafUrl, table);
  await replicaPair(rootUrl, leafUrl, ['bench']);

  // The backlog, ticked as a ticker would (one tick per transaction).
  const db = await connect(rootUrl);
  const tx = async (sql: string) => {
    await db.query(sql);
    await db.query(`select pgq.force_tick('replika'); select pgq.ticker('replika')`);
  };
  for (let i = 0; i < inserts; i += txRows) {
    await tx(`insert into bench select g, g % 1000, md5(g::text), now() from generate_series(${i + 1}, ${i + txRows}) g`);
  }
  for (let i = 0; i < updates; i += txRows) await tx(`update bench set a = a + 1, b = md5(b) where id between ${i + 1} and ${i + txRows}`);
  for (let i = 0; i < deletes; i += txRows) await tx(`delete from bench where id between ${inserts - i - txRows + 1} and ${inserts - i}`);
  await db.end();

  const t0 = performance.now();
  let events = 0;
  for (;;) {
    const r = await runConsumer({ queue: 'replika', consumer: 'dst', providerUrl: rootUrl, subscriberUrl: leafUrl, deadline: Date.now() + 600_000 });
    events += r.events;
    if (r.batches === 0 && !r.moreWork) break;
  }
  const applySeconds = (performance.now() - t0) / 1000;
  const sum = async (url: string) => (await exec(url, `select md5(string_agg(t::text, '|' order by id)) as h from bench t`))[0]!.rows[0].h;
  if ((await sum(rootUrl)) !== (await sum(leafUrl))) throw new Error('subscriber differs from provider');

  await exec(leafUrl, 'create table public.bench_pipe (id bigint primary key, a int not null, b text, ts timestamptz)');
  const pipeSeconds = await copyPipe(rootUrl, leafUrl, 'bench', 'bench_pipe');
  return { events, applySeconds, pipeSeconds };
}

const s = await servers('apply');
try {
  const runs = [];
  for (let i = 0; i < reps; i++) runs.push(await once(i, s));
  const evs = stat(runs.map((r) => r.events / r.applySeconds));
  const ratio = stat(runs.map((r) => r.pipeSeconds / r.applySeconds));
  const londiste = 18_970;
  report('apply', [
    ['backlog events', String(runs[0]!.events)],
    ['Lambdiste apply, events/s', fmt(evs)],
    ['apply time, s', fmt(stat(runs.map((r) => r.applySeconds)), 2)],
    ['physical limit (COPY pipe of the final rows), s', fmt(stat(runs.map((r) => r.pipeSeconds)), 2)],
    ['vs physical limit (pipe time / apply time)', `${fmt(ratio, 2)}  target >= 0.30`],
    ['vs Londiste 3 reference (18,970 ev/s)', `${(evs.median / londiste).toFixed(2)}x  target >= 3`],
  ], { eventsPerSecond: evs, ratioToPipe: ratio, runs });
} finally {
  await s.stop();
}
