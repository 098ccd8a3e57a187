/**
 * Figure 1, capture overhead on the provider (bench/capture-load.ts):
 * pgbench single-row INSERT and UPDATE transactions (1 and 2 clients) on a
 * replicated table against the same table without the trigger, and bulk
 * statements (one INSERT of 10,000 rows, one UPDATE of 10,000 rows), with
 * the default 200 rows per event and with one event per row.
 *   npm run bench:capture [-- --quick]
 */
import { startLocalCluster } from '../lib/db/embedded.ts';
import { captureTables, measureCapture } from './capture-load.ts';
import { cmd, exec, fmt, freshDb, report } from './common.ts';

const server = await startLocalCluster('bench-capture', { settings: { fsync: 'on', shared_buffers: '256MB', max_wal_size: '4GB' } });
try {
  const url = await freshDb(server, 'capture');
  await captureTables(url, ['plain', 'captured', 'captured_rows']);
  const root = { jobName: 'src', db: url, queueName: 'replika', settings: {} };
  await cmd(root, 'create-root', ['src']);
  await cmd(root, 'add-table', ['captured']);
  // The same, with one event per row change (Londiste's shape) for the bulk statements.
  await cmd(root, 'add-table', ['captured_rows'], { rowsPerEvent: 1 });
  // A consumer, as in production: events are kept until it reads them.
  await exec(url, `select pgq.register_consumer('replika', 'bench')`);

  const f = await measureCapture(url, 'plain', 'captured', ['captured', 'captured_rows']);
  const lines: [string, string][] = [];
  for (const [key, r] of Object.entries(f.singleRow)) {
    const [kind, clients] = key.split('_');
    lines.push([`${kind}, ${clients} client(s): TPS without → with capture`, `${fmt(r.without)} → ${fmt(r.with)}`]);
    lines.push([`${kind}, ${clients} client(s): ratio`, `${fmt(r.ratio, 2)}  target >= 0.90`]);
  }
  for (const [label, r] of Object.entries(f.bulk)) {
    lines.push([`${label}: time with / without capture`, `${fmt(r.captured!, 2)}  target <= 2`]);
    lines.push([`  with one event per row (--rows-per-event=1)`, fmt(r.captured_rows!, 2)]);
  }
  report('capture', lines, { ...f });
} finally {
  await server.stop();
}
