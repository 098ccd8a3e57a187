import { waitRunLock } from '../replica/sync-point.ts';
import { openClient, requireNode, withNodeSession } from './session.ts';
import type { CommandContext, CommandResult } from './types.ts';

/**
 * pause (leaf): no consumer run applies a batch or copies a table for this
 * node until resume; the worker and the consumer function skip it, status
 * shows it paused. Returns once a run in progress has ended (it stops after
 * its current batch), so nothing is being applied when it returns.
 * resume: the consumer goes on from where it stopped (its worker is woken).
 */
export async function pauseNode(ctx: CommandContext, paused: boolean): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s, 'leaf');
    const { rowCount } = await s.db.query(
      'update lambdiste.node set node_paused = $2 where node_queue = $1 and node_paused <> $2', [s.queue, paused]);
    if (!rowCount) {
      ctx.log('INFO', `Node "${node.name}" is already ${paused ? 'paused' : 'running'}`);
      return { exitCode: 0, tables: [] };
    }
    if (paused) {
      ctx.log('INFO', `Waiting for the consumer of node "${node.name}" to stop`);
      const lockDb = await openClient(ctx, ctx.config.db);
      try {
        const lock = await waitRunLock(lockDb, `${s.queue}/${node.consumer ?? node.name}`, Date.now() + 120_000, ctx.signal);
        await lock.release();
      } finally {
        await lockDb.end().catch(() => undefined);
      }
      ctx.log('INFO', `Node "${node.name}" paused`);
    } else {
      await s.db.query(`select pg_notify(lambdiste.queue_channel($1, 'work'), '')`, [s.queue]);
      ctx.log('INFO', `Node "${node.name}" resumed`);
    }
    return { exitCode: 0, tables: [] };
  });
}
