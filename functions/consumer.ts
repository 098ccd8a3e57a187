/**
 * consumer — `{ node }`: one run for a leaf or a branch (copy work and
 * batches until idle or its deadline), then invokes itself again if work
 * is left. A branch's run also writes its batches into its own queue, and
 * then wakes its own subscribers' consumers.
 *
 * A run that fails (an event the subscriber refuses, a database gone) is
 * logged with its cause (for an event: table and event id), counted in
 * ConsumerErrors (and ApplyErrors for an event), recorded on the
 * subscriber for `status` by runConsumer, and answered `{ ok: false }`,
 * neither thrown (Lambda would retry the invocation twice, then drop it)
 * nor followed by a self-invocation (a spin): the ticker's wakes retry the
 * leaf, with back-off, until it succeeds (lib/lambda/wake.ts).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import validator from '@middy/validator';
import { transpileSchema } from '@middy/validator/transpile';
import type { Context } from 'aws-lambda';
import { hideSecrets } from '../lib/db/secrets.ts';
import { getConsumerInfo } from '../lib/queue/api.ts';
import { ApplyError } from '../lib/replica/apply.ts';
import { runConsumer, type ConsumerRun } from '../lib/replica/consumer.ts';
import { nodeUrl } from '../lib/topology.ts';
import { BadEventError, errorResponse, strictEvents } from '../lib/lambda/errors.ts';
import { withPooledClient } from '../lib/lambda/pools.ts';
import { deadlineOf, getInvoker, getTopology, lingerMs, logger, metrics } from '../lib/lambda/runtime.ts';

export interface ConsumerEvent {
  node: string;
}

const eventSchema = {
  type: 'object',
  required: ['node'],
  additionalProperties: false,
  properties: { node: { type: 'string', minLength: 1 } },
} as const;

type ConsumerResponse =
  | ({ ok: true } & ConsumerRun & { lagSeconds: number | null })
  | { ok: false; error: string; table?: string; eventId?: number };

async function consume(event: ConsumerEvent, context: Context): Promise<ConsumerResponse> {
  const topology = await getTopology();
  const leaf = topology.node(event.node);
  if (leaf.type === 'root') throw new BadEventError(`Node "${leaf.name}" is a root: only branches and leaves have consumers`);
  const root = topology.providerOf(leaf);
  const [providerUrl, subscriberUrl] = await Promise.all([nodeUrl(root), nodeUrl(leaf)]);

  const started = Date.now();
  metrics.addDimension('node', leaf.name);
  let outcome: { run: ConsumerRun; lag: number | null };
  try {
    outcome = await withPooledClient(providerUrl, (provider) =>
      withPooledClient(subscriberUrl, (subscriber) => withPooledClient(subscriberUrl, async (lock) => {
        const run = await runConsumer({
          queue: leaf.queue, consumer: leaf.name, providerUrl, subscriberUrl, provider, subscriber, lock,
          branch: leaf.type === 'branch',
          deadline: deadlineOf(context),
          safetyMs: Number(process.env.LAMBDISTE_SAFETY_MS ?? 3000),
          lingerMs: lingerMs(),
          log: (level, message) => (level === 'WARNING' ? logger.warn(message) : logger.info(message)),
        });
        const [info] = await getConsumerInfo(provider, leaf.queue, leaf.name);
        return { run, lag: info?.lag ?? null };
      })),
    );
  } catch (err) {
    const error = hideSecrets(err instanceof Error ? err.message : String(err), [providerUrl, subscriberUrl]);
    const where = err instanceof ApplyError ? { table: err.table, eventId: err.eventId } : {};
    logger.error('consumer run failed', { node: leaf.name, ...where, error });
    metrics.addMetric('ConsumerErrors', MetricUnit.Count, 1);
    if (err instanceof ApplyError) metrics.addMetric('ApplyErrors', MetricUnit.Count, 1);
    return { ok: false, error, ...where };
  }
  const { run, lag } = outcome;

  metrics.addMetric('EventsApplied', MetricUnit.Count, run.events);
  metrics.addMetric('Batches', MetricUnit.Count, run.batches);
  metrics.addMetric('CopiedRows', MetricUnit.Count, run.copiedRows);
  if (run.batches > 0) metrics.addMetric('BatchDuration', MetricUnit.Milliseconds, (Date.now() - started) / run.batches);
  if (lag !== null) metrics.addMetric('Lag', MetricUnit.Seconds, lag);
  logger.info('consumer run', { node: leaf.name, ...run, lagSeconds: lag });

  if (run.moreWork && !run.busy) await getInvoker().invokeConsumer({ node: leaf.name });
  // A branch's new ticks are batches for its own subscribers: no need to wait for its ticker.
  if (leaf.type === 'branch' && run.batches > 0) {
    for (const sub of topology.subscribersOf(leaf)) await getInvoker().invokeConsumer({ node: sub.name });
  }
  return { ok: true, ...run, lagSeconds: lag };
}

export const handler = middy(consume)
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .use(validator({ eventSchema: transpileSchema(eventSchema, strictEvents) }))
  .use(errorResponse());
