/**
 * ticker — scheduled every minute: for each root node (and branch: see
 * below), ticks its queue when
 * its capture triggers say events arrived (LAMBDISTE_TICK_PERIOD_MS at the
 * latest) until shortly before the invocation's end, runs queue
 * maintenance, and wakes the consumers of leaves with work.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import validator from '@middy/validator';
import { transpileSchema } from '@middy/validator/transpile';
import type { Context } from 'aws-lambda';
import { runTicker } from '../lib/queue/ticker.ts';
import { Wakeup } from '../lib/queue/wakeup.ts';
import { nodeUrl } from '../lib/topology.ts';
import { BadEventError, errorResponse, strictEvents } from '../lib/lambda/errors.ts';
import { withPooledClient } from '../lib/lambda/pools.ts';
import { deadlineOf, getInvoker, getTopology, lingerMs, logger, metrics } from '../lib/lambda/runtime.ts';
import { consumerWaker } from '../lib/lambda/wake.ts';

export interface TickerEvent {
  source?: string;
  /** Only these root and branch nodes (default: every root and branch of the topology). */
  nodes?: string[];
  /** Stop after this long instead of at the end of the invocation (manual runs). */
  runForMs?: number;
}

const eventSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    source: { type: 'string' },
    nodes: { type: 'array', items: { type: 'string', minLength: 1 }, minItems: 1 },
    runForMs: { type: 'integer', minimum: 0 },
  },
} as const;

const env = (name: string, fallback: number) => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number of milliseconds`);
  return v;
};

async function tick(event: TickerEvent, context: Context) {
  const topology = await getTopology();
  const roots = event.nodes
    ? event.nodes.map((n) => topology.node(n))
    : topology.nodes.filter((n) => n.type !== 'leaf');
  for (const r of roots) if (r.type === 'leaf') throw new BadEventError(`Node "${r.name}" is a leaf: only roots and branches are ticked`);

  const deadline = Math.min(deadlineOf(context), event.runForMs === undefined ? Infinity : Date.now() + event.runForMs);
  const runs = await Promise.all(
    roots.map(async (root) => {
      // A branch's queue is ticked by its consumer (its provider's ticks):
      // here it gets its maintenance, and its subscribers their wakes.
      const wake = consumerWaker(getInvoker(), root, topology.subscribersOf(root), { lingerMs: lingerMs() });
      const url = await nodeUrl(root);
      return withPooledClient(url, async (db) => {
        // Awake until its deadline, and where it can be woken from once it returns idle (lambdiste.wake_ticker).
        const until = new Date(deadline);
        await db.query('select lambdiste.ticker_awake($1, $2, $3, $4)',
          [root.queue, until, context.invokedFunctionArn, process.env.AWS_REGION ?? null]);
        const asleep = async () => (await db.query('select lambdiste.ticker_asleep($1, $2) as ok', [root.queue, until])).rows[0].ok as boolean;
        const r = await runTicker(db, {
          deadline,
          // Woken when events arrive: the period is only the longest sleep.
          queue: root.queue,
          wakeup: new Wakeup(50),
          tickPeriodMs: env('LAMBDISTE_TICK_PERIOD_MS', 1000),
          maintPeriodMs: env('LAMBDISTE_MAINT_PERIOD_MS', 30_000),
          safetyMs: env('LAMBDISTE_SAFETY_MS', 3000),
          idleExitMs: process.env.LAMBDISTE_TICKER_IDLE_EXIT_MS === '0' ? undefined : env('LAMBDISTE_TICKER_IDLE_EXIT_MS', 10_000),
          afterTick: async () => {
            await wake(db);
          },
          // The first capture after this wakes it (a writer waking it right now: go on).
          beforeIdleExit: asleep,
          signal: (context as { signal?: AbortSignal }).signal,
        });
        metrics.addMetric('Ticks', MetricUnit.Count, r.ticks);
        return { node: root.name, ...r };
      });
    }),
  );
  logger.info('ticker run', { runs });
  return { ok: true as const, runs };
}

export const handler = middy(tick)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(validator({ eventSchema: transpileSchema(eventSchema, strictEvents) }))
  .use(errorResponse());
