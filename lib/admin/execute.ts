import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { CommandError, requireNode, withNodeSession } from './session.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';

/** An SQL file to execute: its name as tracked (no directory) and its text. */
export interface SqlFile {
  name: string;
  sql: string;
}

/**
 * The files of `execute FILE.sql...`: read from disk, or, through the
 * admin function, sent along by the CLI in options.files (a json array of
 * {name, sql}, see remote.ts). Every file is read before any runs: one
 * that cannot be read is an error, and nothing is run.
 */
export function sqlFiles(args: string[], options: CommandOptions): SqlFile[] {
  if (typeof options.files === 'string') {
    let files: unknown;
    try {
      files = JSON.parse(options.files);
    } catch {
      throw new CommandError('options.files is not json');
    }
    if (!Array.isArray(files) || !files.every((f) => f && typeof f.name === 'string' && typeof f.sql === 'string')) {
      throw new CommandError('options.files must be a json array of {name, sql}');
    }
    return files as SqlFile[];
  }
  return args.map((path) => {
    try {
      return { name: basename(path), sql: readFileSync(path, 'utf8') };
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw new CommandError(code === 'ENOENT' ? `File not found: ${path}` : `Cannot read ${path}: ${(err as Error).message}`);
    }
  });
}

/**
 * execute FILE.sql... (root): each file runs on the root, in a transaction
 * of its own, together with an EXECUTE event that makes every subscriber
 * run it at the same place of the stream (lambdiste.execute_root). A file
 * already run here (same name, same text) is skipped. The first file that
 * fails stops the command with exit code 1; the files before it stay run.
 */
export async function execute(ctx: CommandContext, args: string[], options: CommandOptions): Promise<CommandResult> {
  const files = sqlFiles(args, options);
  return withNodeSession(ctx, async (s) => {
    requireNode(s, 'root');
    if (files.length === 0) {
      ctx.log('INFO', 'what to do ?');
      return { exitCode: 0, tables: [] };
    }
    for (const f of files) {
      ctx.log('INFO', `Executing: ${f.name}`);
      await s.db.query('begin');
      try {
        const { rows } = await s.db.query('select * from lambdiste.execute_root($1, $2, $3)', [s.queue, f.name, f.sql]);
        await s.db.query('commit');
        ctx.log('INFO', rows[0].ret_code === 200 ? `Execute finished: ${f.name}` : rows[0].ret_note);
      } catch (err) {
        await s.db.query('rollback').catch(() => undefined);
        ctx.log('ERROR', `${f.name}: ${(err as Error).message}`);
        return { exitCode: 1, tables: [] };
      }
    }
    return { exitCode: 0, tables: [] };
  });
}
