import type pg from 'pg';
import { retryDelay } from '../daemon.ts';
import type { Invoker } from '../invoke/invoker.ts';
import { getConsumerInfo, getQueueInfo } from '../queue/api.ts';
import type { NodeSpec } from '../topology.ts';

export interface WakerOptions {
  /** An open batch older than this is taken to belong to a run that died (default 30 s). */
  staleMs?: number;
  /** Every leaf is invoked at least this often (default 30 s); also the longest back-off. */
  periodicMs?: number;
  /** First back-off for a leaf that made no progress (default 1 s); it doubles each time. */
  retryDelayMs?: number;
  /** A consumer that asked for a batch less than this long ago is still at it, lingering (default 0). */
  lingerMs?: number;
  /** The clock the waits are measured with (tests move it). */
  clock?: () => number;
}

/**
 * Decides, after each tick, which leaves' consumers to invoke: those with a
 * batch waiting and no run in progress. A run in progress shows as an open
 * batch on the root; if that batch is older than `staleMs` the run is taken
 * to have died and the leaf is invoked again (its lock makes a duplicate
 * harmless). Every leaf is also invoked every `periodicMs`, so copy work
 * and sequences advance even when no batch arrives.
 *
 * A consumer lingering for the next batch (it asked for one less than
 * half of `lingerMs` ago) counts as running: its ticker's notification
 * wakes it.
 *
 * A leaf whose position has not moved since it was last invoked (its run
 * failed, say on an event the subscriber refuses, or has not started yet)
 * is invoked again only after a growing delay, 1 s doubling up to
 * `periodicMs`, not at every tick; the delay starts over once it moves.
 * The consumer records its error for `status` and never re-invokes itself
 * after one, so these wakes are its retries.
 */
export function consumerWaker(invoker: Invoker, root: NodeSpec, leaves: NodeSpec[], opts: WakerOptions = {}) {
  const staleMs = opts.staleMs ?? 30_000;
  const periodicMs = opts.periodicMs ?? 30_000;
  const firstRetry = opts.retryDelayMs ?? 1000;
  const clock = opts.clock ?? Date.now;
  /**
   * Per leaf, its last invocation: when, its position then, whether a batch
   * was waiting, and how many invocations in a row with a batch waiting
   * have left the position where it was.
   */
  const last = new Map<string, { at: number; tick: number | undefined; waiting: boolean; stuck: number }>();
  return async (db: pg.ClientBase): Promise<string[]> => {
    if (leaves.length === 0) return [];
    const [queue] = await getQueueInfo(db, root.queue);
    const consumers = new Map((await getConsumerInfo(db, root.queue)).map((c) => [c.consumerName, c]));
    const woken: string[] = [];
    const now = clock();
    for (const leaf of leaves) {
      const c = consumers.get(leaf.name);
      const prev = last.get(leaf.name);
      const since = now - (prev?.at ?? -Infinity);
      const batchWaiting = c !== undefined && queue !== undefined && c.lastTick < queue.lastTickId;
      const stuck = prev?.waiting && c?.lastTick === prev.tick ? prev.stuck + 1 : 0;
      const backOff = stuck === 0 ? 0 : retryDelay(stuck, firstRetry, periodicMs);
      // A lingering consumer asked for a batch less than lingerMs ago, and
      // will see the tick's notification; half of it leaves room for the
      // notification's way.
      const lingering = c !== undefined && c.lastSeen * 1000 < (opts.lingerMs ?? 0) / 2;
      const running = (c?.currentBatch != null && c.lastSeen * 1000 < staleMs) || lingering;
      if ((batchWaiting && !running && since >= backOff) || since >= periodicMs) {
        last.set(leaf.name, { at: now, tick: c?.lastTick, waiting: batchWaiting, stuck });
        await invoker.invokeConsumer({ node: leaf.name });
        woken.push(leaf.name);
      }
    }
    return woken;
  };
}
