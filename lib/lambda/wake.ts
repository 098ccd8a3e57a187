import type pg from 'pg';
import type { Invoker } from '../invoke/invoker.ts';
import { getConsumerInfo, getQueueInfo } from '../queue/api.ts';
import type { NodeSpec } from '../topology.ts';

/**
 * Decides, after each tick, which leaves' consumers to invoke: those with a
 * batch waiting and no run in progress. A run in progress shows as an open
 * batch on the root; if that batch is older than `staleMs` the run is taken
 * to have died and the leaf is invoked again (its lock makes a duplicate
 * harmless). Every leaf is also invoked every `periodicMs`, so copy work
 * and sequences advance even when no batch arrives.
 */
export function consumerWaker(invoker: Invoker, root: NodeSpec, leaves: NodeSpec[], opts: { staleMs?: number; periodicMs?: number } = {}) {
  const staleMs = opts.staleMs ?? 30_000;
  const periodicMs = opts.periodicMs ?? 30_000;
  const lastInvoked = new Map<string, number>();
  return async (db: pg.ClientBase): Promise<string[]> => {
    if (leaves.length === 0) return [];
    const [queue] = await getQueueInfo(db, root.queue);
    const consumers = new Map((await getConsumerInfo(db, root.queue)).map((c) => [c.consumerName, c]));
    const woken: string[] = [];
    const now = Date.now();
    for (const leaf of leaves) {
      const c = consumers.get(leaf.name);
      const since = now - (lastInvoked.get(leaf.name) ?? 0);
      const batchWaiting = c !== undefined && queue !== undefined && c.lastTick < queue.lastTickId;
      const running = c?.currentBatch != null && c.lastSeen * 1000 < staleMs;
      if ((batchWaiting && !running) || since >= periodicMs) {
        lastInvoked.set(leaf.name, now);
        await invoker.invokeConsumer({ node: leaf.name });
        woken.push(leaf.name);
      }
    }
    return woken;
  };
}
