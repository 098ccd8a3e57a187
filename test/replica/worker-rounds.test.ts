/**
 * A worker is meant to run for months: many rounds must not pile up abort
 * listeners (a MaxListenersExceededWarning after ten rounds was the sign of
 * one added per round and never removed) nor memory.
 */
import { getEventListeners } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { worker } from '../../lib/admin/worker.ts';
import type { LogLevel } from '../../lib/admin/types.ts';
import { replicatedPair, sql, tick } from '../helpers/nodes.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

it('runs many rounds with a flat abort-listener count and heap, and no MaxListenersExceededWarning', async () => {
  const { root, leaf } = await replicatedPair('rounds', 'create table public.t (id int primary key, v text)', 't');
  const warnings: Error[] = [];
  const onWarning = (w: Error) => warnings.push(w);
  process.on('warning', onWarning);

  // Changes keep coming meanwhile, so rounds apply batches as well as find none.
  let writes = 0;
  let writing = true;
  const writer = (async () => {
    while (writing) {
      await sql(root.db, 'insert into t values ($1, $2)', [++writes, 'x'.repeat(100)]);
      await tick(root);
    }
  })();

  const abort = new AbortController();
  const samples = new Map<number, { listeners: number; heap: number }>();
  const sampleAt = new Set([50, 300, 600]);
  let rounds = 0;
  const errors: string[] = [];
  const log = (level: LogLevel, message: string) => {
    if (level === 'ERROR') errors.push(message);
    // -v logs every statement: each round takes the subscriber's lock once.
    if (level !== 'DEBUG' || !message.startsWith('select pg_try_advisory_xact_lock')) return;
    rounds++;
    if (sampleAt.has(rounds)) {
      gc();
      samples.set(rounds, { listeners: getEventListeners(abort.signal, 'abort').length, heap: process.memoryUsage().heapUsed });
    }
    if (rounds === 600) abort.abort();
  };
  try {
    const r = await worker({ config: { ...leaf, settings: { loop_delay: '0.001' } }, log, verbose: true, signal: abort.signal }, {});
    expect(r.exitCode).toBe(0);
  } finally {
    writing = false;
    await writer;
    process.off('warning', onWarning);
  }

  expect(errors).toEqual([]);
  expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
  const [a, b, c] = [samples.get(50)!, samples.get(300)!, samples.get(600)!];
  expect([b.listeners, c.listeners]).toEqual([a.listeners, a.listeners]);
  // Loose on purpose (the figure is measured in bench/worker.ts): 550 rounds leave no trace of a few MB.
  expect(c.heap - b.heap).toBeLessThan(4 * 2 ** 20);
  // Batches were applied along the way.
  expect((await sql(leaf.db, 'select count(*)::int as n from t'))[0]!.n).toBeGreaterThan(0);
});
