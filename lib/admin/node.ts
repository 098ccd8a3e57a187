import { redactUrl } from '../db/connect.ts';
import { install } from '../install.ts';
import { syncMembers } from '../replica/members.ts';
import { openRoot } from './tree.ts';
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
      s.queue, name, 'root', args[1] ?? ctx.config.db,
    ]);
    return report(ctx, rows[0]);
  }, { installSchemas: true });
}

/**
 * create-leaf NODE [CONNSTR] --provider=CONNSTR: a subscriber of the root
 * or of a branch. create-branch NODE [CONNSTR] --provider=CONNSTR: a
 * subscriber that also serves subscribers of its own (its own queue, fed
 * by its consumer, see lib/replica/batch.ts). Installs the schemas here,
 * registers this node's consumer on the provider and the node in the
 * root's member list, and records where the consumer starts, so the first
 * batch it applies is the one right after its registration. CONNSTR is
 * how the other nodes reach this one (default: the ini's db).
 */
export async function createSubscriber(
  ctx: CommandContext, args: string[], options: CommandOptions, type: 'leaf' | 'branch',
): Promise<CommandResult> {
  const name = nodeName(args);
  const providerUrl = typeof options.provider === 'string' ? options.provider : undefined;
  if (!providerUrl) throw new CommandError(`create-${type} needs --provider=CONNSTR`);
  const location = args[1] ?? ctx.config.db;
  return withNodeSession(ctx, async (s) => {
    const provider = await s.provider();
    const up = await readNode(provider, s.queue).catch(() => null);
    if (!up) throw new CommandError(`Provider ${redactUrl(providerUrl)} is not a node of queue "${s.queue}"`);
    if (up.type === 'leaf') {
      throw new CommandError(`Provider ${redactUrl(providerUrl)} is leaf "${up.name}": only a root or a branch can have subscribers`);
    }
    if (s.node) {
      if (s.node.name === name && s.node.type === type) {
        ctx.log('INFO', `Node "${name}" already initialized for queue "${s.queue}"`);
        return ok;
      }
      throw new CommandError(`This database is already node "${s.node.name}" (${s.node.type}) of queue "${s.queue}"`);
    }
    const root = await openRoot(ctx, provider, up, s.queue);
    try {
      const taken = await root.db.query('select member_type from lambdiste.member where member_queue = $1 and member_name = $2', [s.queue, name]);
      if (taken.rows[0]) throw new CommandError(`Node name "${name}" is already used by a ${taken.rows[0].member_type} of queue "${s.queue}"`);
      // This node first, in a transaction that commits only once the
      // provider has registered the consumer: a failure leaves no half-made
      // node behind.
      await s.db.query('begin');
      try {
        const { rows } = await s.db.query('select * from lambdiste.create_node($1, $2, $3, $4, $5, $6)', [
          s.queue, name, type, location, providerUrl, name,
        ]);
        const reg = await provider.query('select lambdiste.subscribe($1, $2, null) as tick', [s.queue, name]);
        const tick = Number(reg.rows[0].tick);
        await s.db.query(
          `insert into lambdiste.applied (app_queue, app_consumer, app_tick) values ($1, $2, $3)
           on conflict (app_queue, app_consumer) do nothing`,
          [s.queue, name, tick],
        );
        if (type === 'branch') {
          // The branch's queue starts at the provider's tick its consumer starts after.
          const t = await provider.query(
            `select t.tick_time, t.tick_event_seq from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue
              where q.queue_name = $1 and t.tick_id = $2`, [s.queue, tick]);
          await s.db.query('select lambdiste.mirror_tick($1, $2, $3, $4)', [s.queue, tick, t.rows[0].tick_time, t.rows[0].tick_event_seq]);
        }
        await root.db.query('select lambdiste.register_member($1, $2, $3, $4, $5)', [s.queue, name, type, location, up.name]);
        await s.db.query('commit');
        await syncMembers(root.db, s.db, s.queue);
        return report(ctx, rows[0]);
      } catch (err) {
        await s.db.query('rollback').catch(() => undefined);
        throw err;
      }
    } finally {
      await root.close();
    }
  }, { installSchemas: true, providerUrl });
}

export const createLeaf = (ctx: CommandContext, args: string[], options: CommandOptions) => createSubscriber(ctx, args, options, 'leaf');
export const createBranch = (ctx: CommandContext, args: string[], options: CommandOptions) => createSubscriber(ctx, args, options, 'branch');

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
