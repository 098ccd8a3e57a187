import { redactUrl } from '../db/connect.ts';
import { install } from '../install.ts';
import { CommandError, openClient, readNode, withNodeSession } from './session.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';

const ok: CommandResult = { exitCode: 0, tables: [] };

function nodeName(args: string[]): string {
  const name = args[0];
  if (!name) throw new CommandError('Node name missing');
  return name;
}

/** create-root NODE [CONNSTR]: install the schemas, create the queue, register this node as its root. */
export async function createRoot(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  const name = nodeName(args);
  return withNodeSession(ctx, async (s) => {
    const { rows } = await s.db.query('select * from lambdiste.create_node($1, $2, $3, $4, null, null)', [
      s.queue, name, 'root', args[1] ?? null,
    ]);
    return report(ctx, rows[0]);
  }, { installSchemas: true });
}

/**
 * create-leaf NODE [CONNSTR] --provider=CONNSTR: install the schemas here,
 * register this node with the root as a member and a consumer of its queue,
 * and record where that consumer starts, so the first batch it applies is
 * the one right after its registration.
 */
export async function createLeaf(ctx: CommandContext, args: string[], options: CommandOptions): Promise<CommandResult> {
  const name = nodeName(args);
  const providerUrl = typeof options.provider === 'string' ? options.provider : undefined;
  if (!providerUrl) throw new CommandError('create-leaf needs --provider=CONNSTR');
  return withNodeSession(ctx, async (s) => {
    const provider = await s.provider();
    const root = await readNode(provider, s.queue).catch(() => null);
    if (!root || root.type !== 'root') {
      throw new CommandError(`Provider ${redactUrl(providerUrl)} is not the root of queue "${s.queue}"`);
    }
    if (s.node) {
      if (s.node.name === name && s.node.type === 'leaf') {
        ctx.log('INFO', `Node "${name}" already initialized for queue "${s.queue}"`);
        return ok;
      }
      throw new CommandError(`This database is already node "${s.node.name}" (${s.node.type}) of queue "${s.queue}"`);
    }
    // Leaf first, in a transaction that commits only once the root has
    // registered the consumer: a failure leaves no half-made leaf behind.
    await s.db.query('begin');
    try {
      const { rows } = await s.db.query('select * from lambdiste.create_node($1, $2, $3, $4, $5, $6)', [
        s.queue, name, 'leaf', args[1] ?? null, providerUrl, name,
      ]);
      const reg = await provider.query('select lambdiste.add_member($1, $2, $3, $4, $5) as tick', [
        s.queue, name, 'leaf', args[1] ?? null, name,
      ]);
      await s.db.query(
        `insert into lambdiste.applied (app_queue, app_consumer, app_tick) values ($1, $2, $3)
         on conflict (app_queue, app_consumer) do nothing`,
        [s.queue, name, reg.rows[0].tick],
      );
      await s.db.query('commit');
      return report(ctx, rows[0]);
    } catch (err) {
      await s.db.query('rollback').catch(() => undefined);
      throw err;
    }
  }, { installSchemas: true, providerUrl });
}

function report(ctx: CommandContext, r: { ret_code: number; ret_note: string }): CommandResult {
  if (r.ret_code >= 400) {
    ctx.log('ERROR', r.ret_note);
    return { exitCode: 1, tables: [] };
  }
  ctx.log('INFO', r.ret_note);
  ctx.log('INFO', 'Done');
  return ok;
}

/** install: just (re)install the schemas into this database. */
export async function installSchemas(ctx: CommandContext): Promise<CommandResult> {
  const db = await openClient(ctx, ctx.config.db);
  try {
    for (const r of await install(db)) {
      ctx.log('INFO', `Schema ${r.schema}: ${r.mode}${r.applied.length ? `, migrations ${r.applied.join(', ')} applied` : ''}`);
    }
    return ok;
  } finally {
    await db.end();
  }
}
