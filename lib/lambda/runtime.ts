/**
 * What every Lambda handler shares, made once per container: the logger,
 * the metrics, the topology, the invoker. Configuration comes from the
 * environment only:
 *   LAMBDISTE_NODES / LAMBDISTE_NODES_PARAMETER   the topology (lib/topology.ts)
 *   LAMBDISTE_INVOKER          "lambda" (default inside Lambda) or "in-process"
 *   LAMBDISTE_CONSUMER_FUNCTION  name of the consumer function to invoke
 *   POWERTOOLS_*               logging and metrics switches
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { InProcessInvoker } from '../invoke/in-process.ts';
import type { Invoker } from '../invoke/invoker.ts';
import { LambdaInvoker } from '../invoke/lambda.ts';
import { loadTopology, type Topology } from '../topology.ts';

export const logger = new Logger({ serviceName: 'lambdiste' });
export const metrics = new Metrics({ namespace: 'Lambdiste', serviceName: 'lambdiste' });

let topology: Promise<Topology> | undefined;

/** The topology, read and validated on first use (a bad one fails every invocation with its message). */
export function getTopology(): Promise<Topology> {
  topology ??= loadTopology().catch((err) => {
    topology = undefined;
    throw err;
  });
  return topology;
}

let invoker: Invoker | undefined;

export function getInvoker(): Invoker {
  if (invoker) return invoker;
  const kind = process.env.LAMBDISTE_INVOKER ?? (process.env.AWS_LAMBDA_FUNCTION_NAME ? 'lambda' : 'in-process');
  if (kind === 'lambda') {
    const fn = process.env.LAMBDISTE_CONSUMER_FUNCTION;
    if (!fn) throw new Error('LAMBDISTE_CONSUMER_FUNCTION is not set: the name of the consumer function to invoke');
    invoker = new LambdaInvoker(fn);
  } else if (kind === 'in-process') {
    // The consumer handler is loaded on first use: it imports this module too.
    invoker = new InProcessInvoker(async (event) => {
      const { handler } = await import('../../functions/consumer.ts');
      return handler(event, localContext('consumer', Number(process.env.LAMBDISTE_LOCAL_TIMEOUT_MS ?? 60_000)));
    });
  } else {
    throw new Error(`LAMBDISTE_INVOKER must be "lambda" or "in-process", not "${kind}"`);
  }
  return invoker;
}

/** Replaces the invoker (tests and the local runtime choose their own). */
export function setInvoker(next: Invoker | undefined): void {
  invoker = next;
}

/** Forgets the cached topology (after the environment changed). */
export function resetTopology(): void {
  topology = undefined;
}

/**
 * A Lambda context for running a handler in this process, with a real time
 * budget; `signal`, when given, ends a ticker run early (a local runtime
 * stopping), which AWS has no equivalent of.
 */
export function localContext(functionName: string, timeoutMs: number, signal?: AbortSignal): Context & { signal?: AbortSignal } {
  const deadline = Date.now() + timeoutMs;
  return {
    signal,
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `local-${Math.random().toString(36).slice(2)}`,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/**
 * How long a consumer run waits for the next batch before it ends
 * (LAMBDISTE_CONSUMER_LINGER_MS, default 250): a few tick periods, so that
 * under a steady load one invocation follows batch after batch. The
 * ticker does not invoke a consumer that asked for a batch more recently.
 */
export function lingerMs(): number {
  const v = Number(process.env.LAMBDISTE_CONSUMER_LINGER_MS ?? 250);
  if (!Number.isFinite(v) || v < 0) throw new Error('LAMBDISTE_CONSUMER_LINGER_MS must be a number of milliseconds');
  return v;
}

/** Deadline (epoch ms) of the current invocation. */
export function deadlineOf(context: Context): number {
  return Date.now() + context.getRemainingTimeInMillis();
}
