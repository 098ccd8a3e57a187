/**
 * admin — `{ node, command, args?, options? }`: runs one londiste3-style
 * command against a node and returns its result as data (log lines,
 * tables, exit code). Reachable only through IAM (see serverless.yml).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import validator from '@middy/validator';
import { transpileSchema } from '@middy/validator/transpile';
import type { Context } from 'aws-lambda';
import { runCommand } from '../lib/admin/index.ts';
import type { CommandOptions, CommandResult, LogLevel } from '../lib/admin/types.ts';
import { BadEventError, errorResponse, strictEvents } from '../lib/lambda/errors.ts';
import { getInvoker, getTopology, logger } from '../lib/lambda/runtime.ts';
import { nodeUrl } from '../lib/topology.ts';

export interface AdminEvent {
  node: string;
  command: string;
  args?: string[];
  options?: CommandOptions;
}

export interface AdminResponse extends CommandResult {
  ok: boolean;
  log: { level: LogLevel; message: string }[];
}

const eventSchema = {
  type: 'object',
  required: ['node', 'command'],
  additionalProperties: false,
  properties: {
    node: { type: 'string', minLength: 1 },
    command: { type: 'string', minLength: 1 },
    args: { type: 'array', items: { type: 'string' } },
    options: {
      type: 'object',
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] },
    },
  },
} as const;

const wakesConsumer = new Set(['create-leaf', 'create-branch', 'add-table', 'resync', 'add-seq', 'resume']);

/** Loops that belong to the ticker and consumer functions, not to a request. */
const notHere = new Set(['worker', 'ticker']);

async function admin(event: AdminEvent, context: Context): Promise<AdminResponse> {
  if (notHere.has(event.command) && !event.options?.once) {
    throw new BadEventError(`Command "${event.command}" runs as its own function; use it with options.once only`);
  }
  const topology = await getTopology();
  const node = topology.node(event.node);
  const url = await nodeUrl(node);
  const settings: Record<string, string> = {};
  const options: CommandOptions = { ...event.options };
  let args = event.args ?? [];
  if (node.type !== 'root') {
    settings.provider_db = await nodeUrl(topology.providerOf(node));
    if (event.command === 'create-leaf' || event.command === 'create-branch') options.provider ??= settings.provider_db;
  }
  if (/^create-(root|leaf|branch)$/.test(event.command) && args.length === 0) args = [node.name];
  // Never wait past this invocation's own end (the function's timeout is in
  // serverless.yml): every wait of every command (--timeout of wait-sync,
  // change-provider and takeover, a consumer run to end for pause, compare
  // and repair, a backlog to apply) stops with this signal, 2 s before the
  // end, to answer in time (an abandoned takeover undoes itself then).
  const signal = AbortSignal.timeout(Math.max(1000, context.getRemainingTimeInMillis() - 2000));

  const log: AdminResponse['log'] = [];
  const result = await runCommand(
    {
      config: { jobName: node.name, db: url, queueName: node.queue, settings },
      log: (level, message) => {
        log.push({ level, message });
        logger.info(message, { level, command: event.command, node: node.name });
      },
      verbose: false,
      signal,
    },
    event.command, args, options,
  );
  // A leaf that just got new work need not wait for the next batch to start it.
  if (node.type !== 'root' && result.exitCode === 0 && wakesConsumer.has(event.command)) {
    await getInvoker().invokeConsumer({ node: node.name });
  }
  return { ok: result.exitCode === 0, ...result, log };
}

export const handler = middy(admin)
  .use(injectLambdaContext(logger))
  .use(validator({ eventSchema: transpileSchema(eventSchema, strictEvents) }))
  .use(errorResponse(true));
