// A leaf `worker` alone in its process (run with --expose-gc): the worker
// command as the CLI runs it, for a number of rounds, its connections cut
// every few thousand; prints heap (after a full GC) and RSS at milestones.
import { getEventListeners } from 'node:events';
import { worker } from '../lib/admin/worker.ts';
import type { LogLevel } from '../lib/admin/types.ts';
import { connect } from '../lib/db/connect.ts';

const [src, dst, roundsArg, cutArg] = process.argv.slice(2) as [string, string, string, string];
const rounds = Number(roundsArg);
const cutEvery = Number(cutArg);
const milestones = new Set([0.1, 0.25, 0.5, 0.75, 1].map((f) => Math.round(rounds * f)));
const gc = (globalThis as { gc?: () => void }).gc!;
const abort = new AbortController();
const samples: { round: number; heapMb: number; rssMb: number; abortListeners: number; seconds: number }[] = [];
let count = 0;
let failures = 0;
const t0 = performance.now();

const cut = async () => {
  for (const url of [src, dst]) {
    const db = await connect(url);
    await db.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'dst'`);
    await db.end();
  }
};

const log = (level: LogLevel, message: string) => {
  if (level === 'ERROR') failures++;
  // -v logs every statement: each round takes the subscriber's lock once.
  if (level !== 'DEBUG' || !message.startsWith('select pg_try_advisory_xact_lock')) return;
  count++;
  if (milestones.has(count)) {
    gc();
    const m = process.memoryUsage();
    samples.push({
      round: count, heapMb: m.heapUsed / 2 ** 20, rssMb: m.rss / 2 ** 20,
      abortListeners: getEventListeners(abort.signal, 'abort').length, seconds: (performance.now() - t0) / 1000,
    });
  }
  if (count % cutEvery === 0) void cut();
  if (count === rounds) abort.abort();
};

const config = { jobName: 'dst', db: dst, queueName: 'replika', settings: { loop_delay: '0.005' } };
const r = await worker({ config, log, verbose: true, signal: abort.signal }, {});
console.log(JSON.stringify({ exitCode: r.exitCode, failures, samples }));
