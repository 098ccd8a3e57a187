import { CommandError } from './session.ts';
import { createLeaf, createRoot, installSchemas } from './node.ts';
import { status } from './status.ts';
import { addSeq, addTable, listMissing, listSeqs, listTables, removeSeq, removeTable, resync, waitSync } from './tables.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';
import { ticker, worker } from './worker.ts';

type Command = (ctx: CommandContext, args: string[], options: CommandOptions) => Promise<CommandResult>;

/** Every command, by its londiste3 name. */
export const commands: Record<string, Command> = {
  'install': (ctx) => installSchemas(ctx),
  'create-root': (ctx, args) => createRoot(ctx, args),
  'create-leaf': createLeaf,
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
