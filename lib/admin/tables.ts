import type pg from 'pg';
import { createTableLike } from '../replica/ddl.ts';
import { CommandError, requireNode, timeoutMs, withNodeSession, type NodeSession } from './session.ts';
import type { CommandContext, CommandOptions, CommandResult, ResultTable } from './types.ts';

const ok: CommandResult = { exitCode: 0, tables: [] };
const failed: CommandResult = { exitCode: 1, tables: [] };

interface RetCode {
  ret_code: number;
  ret_note: string;
}

async function canonical(db: pg.ClientBase, name: string): Promise<string> {
  const { rows } = await db.query('select lambdiste.canonical_name($1) as n', [name]);
  return rows[0].n;
}

/** Names of the tables replicated by a node (its own table_info). */
export async function tableNames(db: pg.ClientBase, queue: string): Promise<Set<string>> {
  const { rows } = await db.query('select table_name from lambdiste.get_table_list($1)', [queue]);
  return new Set(rows.map((r) => r.table_name as string));
}

async function seqNames(db: pg.ClientBase, queue: string): Promise<Set<string>> {
  const { rows } = await db.query('select seq_name from lambdiste.get_seq_list($1)', [queue]);
  return new Set(rows.map((r) => r.seq_name as string));
}

/**
 * Objects not replicated on this node yet: on the root, its own tables and
 * sequences; on a branch or a leaf, what its provider replicates and it does not.
 */
export async function missingObjects(s: NodeSession): Promise<{ kind: 'r' | 'S'; name: string }[]> {
  const node = requireNode(s);
  if (node.type === 'root') {
    const { rows } = await s.db.query('select obj_kind, obj_name from lambdiste.local_show_missing($1)', [s.queue]);
    return rows.map((r) => ({ kind: r.obj_kind, name: r.obj_name }));
  }
  const provider = await s.provider();
  const [pt, ps, lt, ls] = await Promise.all([
    tableNames(provider, s.queue), seqNames(provider, s.queue), tableNames(s.db, s.queue), seqNames(s.db, s.queue),
  ]);
  const out: { kind: 'r' | 'S'; name: string }[] = [];
  for (const n of [...ps].sort()) if (!ls.has(n)) out.push({ kind: 'S', name: n });
  for (const n of [...pt].sort()) if (!lt.has(n)) out.push({ kind: 'r', name: n });
  return out;
}

function tableAttrs(options: CommandOptions): Record<string, string> {
  const attrs: Record<string, string> = {};
  if (options.maxParallelCopy !== undefined) attrs.max_parallel_copy = String(options.maxParallelCopy);
  if (options.skipTruncate) attrs.skip_truncate = '1';
  if (typeof options.copyCondition === 'string') attrs.copy_condition = options.copyCondition;
  if (options.rowsPerEvent !== undefined) {
    const n = Number(options.rowsPerEvent);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new CommandError(`--rows-per-event must be an integer from 1 to 1000, not ${options.rowsPerEvent}`);
    }
    attrs.rows_per_event = String(n);
  }
  return attrs;
}

/**
 * Runs `step` for each name in one transaction: the first failure logs its
 * error, rolls everything back and stops, so a failed command changes nothing.
 */
async function eachInTransaction(
  ctx: CommandContext, s: NodeSession, names: string[],
  step: (name: string) => Promise<RetCode>,
): Promise<CommandResult> {
  if (names.length === 0) {
    ctx.log('INFO', 'what to do ?');
    return ok;
  }
  const lines: RetCode[] = [];
  await s.db.query('begin');
  try {
    for (const name of names) {
      const r = await step(name);
      if (r.ret_code >= 400) {
        await s.db.query('rollback');
        if (r.ret_code === 404) {
          ctx.log('WARNING', r.ret_note);
          ctx.log('ERROR', 'Cannot proceed');
        } else {
          ctx.log('ERROR', r.ret_note);
        }
        return failed;
      }
      lines.push(r);
    }
    // Wakes this node's worker (at commit): a leaf's starts a copy at once.
    await s.db.query(`select pg_notify(lambdiste.queue_channel($1, 'work'), '')`, [s.queue]);
    await s.db.query('commit');
  } catch (err) {
    await s.db.query('rollback').catch(() => undefined);
    throw err;
  }
  for (const r of lines) ctx.log('INFO', r.ret_note);
  if (lines.every((r) => r.ret_code === 201)) ctx.log('INFO', 'what to do ?');
  return ok;
}

async function namesWithAll(s: NodeSession, args: string[], options: CommandOptions, kind: 'r' | 'S'): Promise<string[]> {
  if (!options.all) return args;
  const extra = (await missingObjects(s)).filter((o) => o.kind === kind).map((o) => o.name);
  return [...args, ...extra];
}

/** add-table TABLE... */
export async function addTable(ctx: CommandContext, args: string[], options: CommandOptions): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    const names = await namesWithAll(s, args, options, 'r');
    const attrs = tableAttrs(options);
    const providerTables = node.type !== 'root' ? await tableNames(await s.provider(), s.queue) : null;
    return eachInTransaction(ctx, s, names, async (name) => {
      const canon = await canonical(s.db, name);
      if (providerTables) {
        if (!providerTables.has(canon)) return { ret_code: 404, ret_note: `${canon} not available` };
        const exists = await s.db.query('select to_regclass($1) is not null as e', [canon]);
        if (!exists.rows[0].e) {
          if (!options.create) {
            return { ret_code: 404, ret_note: `${canon} not available on this node (use --create to create it)` };
          }
          await createTableLike(await s.provider(), s.db, canon);
          ctx.log('INFO', `Table created: ${canon}`);
        }
      }
      const { rows } = await s.db.query<RetCode>('select * from lambdiste.local_add_table($1, $2, $3, $4)', [
        s.queue, canon, attrs, Boolean(options.expectSync),
      ]);
      return rows[0]!;
    });
  });
}

/** remove-table TABLE... (the data stays). */
export async function removeTable(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    requireNode(s);
    return eachInTransaction(ctx, s, args, async (name) => {
      const { rows } = await s.db.query<RetCode>('select * from lambdiste.local_remove_table($1, $2)', [
        s.queue, await canonical(s.db, name),
      ]);
      return rows[0]!;
    });
  });
}

/** resync TABLE...: copy the tables again from the provider (leaf). */
export async function resync(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    requireNode(s, 'subscriber');
    return eachInTransaction(ctx, s, args, async (name) => {
      const canon = await canonical(s.db, name);
      const r = await s.db.query(
        `update lambdiste.table_info
            set tbl_merge_state = null, tbl_copy_key = null, tbl_copy_rows = 0
          where tbl_queue = $1 and tbl_name = $2`,
        [s.queue, canon],
      );
      return r.rowCount
        ? { ret_code: 200, ret_note: `Table ${canon} will be copied again` }
        : { ret_code: 404, ret_note: `${canon} not available` };
    });
  });
}

/** add-seq SEQ... */
export async function addSeq(ctx: CommandContext, args: string[], options: CommandOptions): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    const names = await namesWithAll(s, args, options, 'S');
    const providerSeqs = node.type !== 'root' ? await seqNames(await s.provider(), s.queue) : null;
    return eachInTransaction(ctx, s, names, async (name) => {
      const canon = await canonical(s.db, name);
      if (providerSeqs && !providerSeqs.has(canon)) return { ret_code: 404, ret_note: `${canon} not available` };
      const { rows } = await s.db.query<RetCode>('select * from lambdiste.local_add_seq($1, $2)', [s.queue, canon]);
      return rows[0]!;
    });
  });
}

/** remove-seq SEQ... */
export async function removeSeq(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    requireNode(s);
    return eachInTransaction(ctx, s, args, async (name) => {
      const { rows } = await s.db.query<RetCode>('select * from lambdiste.local_remove_seq($1, $2)', [
        s.queue, await canonical(s.db, name),
      ]);
      return rows[0]!;
    });
  });
}

/** tables: `Tables on node` with merge_state and table_attrs. */
export async function listTables(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    requireNode(s);
    const { rows } = await s.db.query('select * from lambdiste.get_table_list($1)', [s.queue]);
    const table: ResultTable = {
      title: 'Tables on node',
      columns: ['table_name', 'merge_state', 'table_attrs'],
      rows: rows.map((r) => [
        r.table_name,
        r.merge_state,
        Object.keys(r.table_attrs).length ? (r.table_attrs as Record<string, string>) : '',
      ]),
    };
    return { exitCode: 0, tables: [table] };
  });
}

/** seqs: `Sequences on node` with each sequence's current last_value. */
export async function listSeqs(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    requireNode(s);
    const { rows } = await s.db.query('select * from lambdiste.get_seq_list($1)', [s.queue]);
    const table: ResultTable = {
      title: 'Sequences on node',
      columns: ['seq_name', 'local', 'last_value'],
      rows: rows.map((r) => [r.seq_name, true, r.last_value === null ? null : Number(r.last_value)]),
    };
    return { exitCode: 0, tables: [table] };
  });
}

/** missing: `Missing objects on node`. */
export async function listMissing(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const rows = (await missingObjects(s)).map((o) => [o.kind, o.name]);
    return { exitCode: 0, tables: [{ title: 'Missing objects on node', columns: ['obj_kind', 'obj_name'], rows }] };
  });
}

/** wait-sync [--timeout=SECONDS]: block until every table here is `ok`. */
export async function waitSync(ctx: CommandContext, options: CommandOptions): Promise<CommandResult> {
  const deadline = Date.now() + timeoutMs(options);
  return withNodeSession(ctx, async (s) => {
    requireNode(s);
    ctx.log('INFO', 'Waiting until all tables are in sync');
    let last = -1;
    for (;;) {
      const { rows } = await s.db.query('select merge_state from lambdiste.get_table_list($1)', [s.queue]);
      const pending = rows.filter((r) => r.merge_state !== 'ok').length;
      if (pending === 0) {
        ctx.log('INFO', 'All done');
        return ok;
      }
      if (pending !== last) ctx.log('INFO', `${pending}/${rows.length} table(s) to copy`);
      last = pending;
      if (Date.now() >= deadline || ctx.signal?.aborted) {
        ctx.log('ERROR', `Timed out: ${pending} table(s) not in sync`);
        return failed;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  });
}

export { CommandError };
