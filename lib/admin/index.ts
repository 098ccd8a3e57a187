import { compare, repair } from './compare.ts';
import { execute } from './execute.ts';
import { pauseNode } from './pause.ts';
import { CommandError } from './session.ts';
import { changeProvider, dropNode, listMembers, tagDead, takeover } from './cascade.ts';
import { createBranch, createLeaf, createRoot, installSchemas } from './node.ts';
import { nodeStatus, status } from './status.ts';
import { addSeq, addTable, listMissing, listSeqs, listTables, removeSeq, removeTable, resync, waitSync } from './tables.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';
import { ticker, worker } from './worker.ts';

type Command = (ctx: CommandContext, args: string[], options: CommandOptions) => Promise<CommandResult>;

/** Every command, by its londiste3 name. */
export const commands: Record<string, Command> = {
  'install': (ctx) => installSchemas(ctx),
  'create-root': (ctx, args) => createRoot(ctx, args),
  'create-leaf': createLeaf,
  'create-branch': createBranch,
  'add-table': addTable,
  'remove-table': (ctx, args) => removeTable(ctx, args),
  'add-seq': addSeq,
  'remove-seq': (ctx, args) => removeSeq(ctx, args),
  'tables': (ctx) => listTables(ctx),
  'seqs': (ctx) => listSeqs(ctx),
  'missing': (ctx) => listMissing(ctx),
  'resync': (ctx, args) => resync(ctx, args),
  'wait-sync': (ctx, _args, options) => waitSync(ctx, options),
  'status': (ctx) => status(ctx),
  'compare': (ctx, args) => compare(ctx, args),
  'execute': execute,
  'repair': repair,
  'pause': (ctx) => pauseNode(ctx, true),
  'resume': (ctx) => pauseNode(ctx, false),
  'members': (ctx) => listMembers(ctx),
  'node-status': (ctx) => nodeStatus(ctx),
  'change-provider': changeProvider,
  'takeover': takeover,
  'tag-dead': (ctx, args) => tagDead(ctx, args),
  'drop-node': (ctx, args) => dropNode(ctx, args),
  'worker': (ctx, _args, options) => worker(ctx, options),
  'ticker': (ctx, _args, options) => ticker(ctx, options),
};

/**
 * Runs one admin command against the node in `ctx.config`. Expected
 * failures (bad names, missing tables, no primary key) are logged as ERROR
 * and give exit code 1 after rolling back; a command never changes
 * anything when it fails.
 */
export async function runCommand(
  ctx: CommandContext, command: string, args: string[], options: CommandOptions,
): Promise<CommandResult> {
  // Its own keys only: "constructor" or "__proto__" are no commands.
  const fn = Object.hasOwn(commands, command) ? commands[command] : undefined;
  if (!fn) throw new CommandError(`Unknown command: ${command}`);
  return fn(ctx, args, options);
}

export { CommandError };
