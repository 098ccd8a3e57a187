/**
 * Cascade administration, londiste3's node commands: members,
 * change-provider, takeover, drop-node, tag-dead (create-branch is in
 * node.ts, status and node-status in status.ts).
 *
 * Positions: a branch writes its provider's ticks into its own queue with
 * the same ids, one provider tick at a time, each after the batch ending
 * there has committed (lib/replica/batch.ts). So every node that has tick
 * T holds, up to T, exactly the root's events up to T, and a subscriber's
 * position (lambdiste.applied: the last tick applied) means the same on
 * every provider. Moving a subscriber means registering its consumer on
 * the new provider at that tick, while no run of it is in flight.
 */
import type pg from 'pg';
import { redactUrl } from '../db/connect.ts';
import { readPosition } from '../replica/position.ts';
import { waitForRunLock, type RunLock } from '../replica/run-lock.ts';
import { syncMembers } from '../replica/members.ts';
import { CommandError, openClient, readNode, requireNode, timeoutMs, withNodeSession, type NodeRow, type NodeSession } from './session.ts';
import { descendants, memberNamed, openRoot, readMembers, type Member } from './tree.ts';
import type { CommandContext, CommandOptions, CommandResult, ResultTable } from './types.ts';

const ok: CommandResult = { exitCode: 0, tables: [] };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value, or fails with `what` after the timeout. */
async function waitFor<T>(ctx: CommandContext, options: CommandOptions, what: string, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs(options);
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() >= deadline || ctx.signal?.aborted) throw new CommandError(`Timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The member list as the root has it, or this node's copy when the root cannot be reached. */
async function members(ctx: CommandContext, s: NodeSession, node: NodeRow): Promise<{ list: Member[]; fromRoot: boolean }> {
  try {
    const root = await openRoot(ctx, s.db, node, s.queue);
    try {
      return { list: await readMembers(root.db, s.queue), fromRoot: true };
    } finally {
      await root.close();
    }
  } catch (err) {
    if (err instanceof CommandError) throw err;
    return { list: await readMembers(s.db, s.queue), fromRoot: false };
  }
}

function nodeArg(args: string[], command: string): string {
  const name = args[0];
  if (!name) throw new CommandError(`${command} needs a node name`);
  if (args.length > 1) throw new CommandError(`${command} takes one node name, not ${args.length}`);
  return name;
}

async function tickOf(db: pg.ClientBase, queue: string): Promise<number> {
  const { rows } = await db.query(
    `select coalesce(max(t.tick_id), 0) as t from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue where q.queue_name = $1`,
    [queue],
  );
  return Number(rows[0].t);
}

/**
 * Wakes the daemons of a node at commit: its worker as a subscriber
 * ('work'), as the root's ticker ('events'), and its subscribers ('tick').
 */
async function wakeAll(db: pg.ClientBase, queue: string): Promise<void> {
  await db.query(
    `select pg_notify(lambdiste.queue_channel($1, w), '') from unnest(array['work', 'events', 'tick']) w`, [queue]);
}

/** Takes this node's consumer run lock (waiting for a run in flight to end). */
async function lockRuns(ctx: CommandContext, options: CommandOptions, lockDb: pg.Client, key: string): Promise<RunLock> {
  const lock = await waitForRunLock(lockDb, key, Date.now() + timeoutMs(options), ctx.signal);
  if (!lock) throw new CommandError('Timed out waiting for the worker of this node to finish its batch');
  return lock;
}

/** members: `Member info on NODE@QUEUE:` with node_name, dead, node_location (passwords hidden). */
export async function listMembers(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    const { list } = await members(ctx, s, node);
    const table: ResultTable = {
      title: `Member info on ${node.name}@${s.queue}:`,
      columns: ['node_name', 'dead', 'node_location'],
      rows: [...list].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => [m.name, m.dead, m.location === null ? null : redactUrl(m.location)]),
    };
    return {
      exitCode: 0,
      tables: [table],
      data: list.map((m) => ({ node: m.name, type: m.type, provider: m.provider, dead: m.dead })),
    };
  });
}

/**
 * change-provider --provider=NODE: this subscriber (branch or leaf) reads
 * from another root or branch from now on, exactly once: with this node's
 * run lock held (no batch in flight), its consumer is registered on the
 * new provider at the tick it last applied (waiting for the new provider
 * to get there if it is behind), the node row and the root's member list
 * point at it, and the old registration is dropped. NODE is a member's
 * name; a connect string names the member at that location.
 */
export async function changeProvider(ctx: CommandContext, _args: string[], options: CommandOptions): Promise<CommandResult> {
  const target = typeof options.provider === 'string' ? options.provider : undefined;
  if (!target) throw new CommandError('change-provider needs --provider=NODE');
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    if (node.type === 'root') throw new CommandError(`Node "${node.name}" is the root: it has no provider to change`);
    const { list } = await members(ctx, s, node);
    const to = list.find((m) => m.name === target) ?? list.find((m) => m.location === target) ?? memberNamed(list, target);
    const me = memberNamed(list, node.name);
    if (to.name === node.name) throw new CommandError(`Node "${node.name}" cannot be its own provider`);
    if (to.dead) throw new CommandError(`Node "${to.name}" is tagged dead`);
    if (to.type === 'leaf') throw new CommandError(`Node "${to.name}" is a leaf: only a root or a branch can be a provider`);
    if (descendants(list, node.name).some((m) => m.name === to.name)) {
      throw new CommandError(`Node "${to.name}" reads from "${node.name}": it cannot be its provider (a cycle)`);
    }
    if (!to.location) throw new CommandError(`Node "${to.name}" has no location in the member list`);
    if (me.provider === to.name) {
      ctx.log('INFO', `Node "${node.name}" already reads from "${to.name}"`);
      return ok;
    }
    const { rows: copying } = await s.db.query(
      `select tbl_name from lambdiste.table_info where tbl_queue = $1 and tbl_merge_state is distinct from 'ok' order by 1`, [s.queue]);
    if (copying.length) {
      throw new CommandError(`Tables are still being copied here (${copying.map((r) => r.tbl_name).join(', ')}): run wait-sync first`);
    }
    const consumer = node.consumer ?? node.name;
    const lockDb = await openClient(ctx, ctx.config.db);
    const newProvider = await openClient(ctx, to.location);
    let oldProvider: pg.Client | null = null;
    try {
      const upNode = await readNode(newProvider, s.queue);
      if (!upNode || upNode.name !== to.name) throw new CommandError(`The database at ${redactUrl(to.location)} is not node "${to.name}"`);
      const lock = await lockRuns(ctx, options, lockDb, `${s.queue}/${consumer}`);
      try {
        const pos = await readPosition(s.db, s.queue, consumer);
        if (!pos) throw new CommandError(`Node "${node.name}" has no position`);
        if (pos.partialTick !== null) throw new CommandError(`A batch is half applied on "${node.name}": run its worker once, then change-provider`);
        ctx.log('INFO', `Waiting for "${to.name}" to reach tick ${pos.tick}`);
        await waitFor(ctx, options, `"${to.name}" to reach tick ${pos.tick}`, async () => ((await tickOf(newProvider, s.queue)) >= pos.tick ? true : null));
        // Fails, changing nothing, if the new provider no longer has the tick.
        await newProvider.query('select lambdiste.subscribe($1, $2, $3)', [s.queue, consumer, pos.tick]);
        await s.db.query('update lambdiste.node set node_provider = $2 where node_queue = $1', [s.queue, to.location]);
        const root = await openRoot(ctx, s.db, { ...node, providerUrl: to.location }, s.queue);
        try {
          await root.db.query('select lambdiste.register_member($1, $2, $3, $4, $5)', [s.queue, node.name, node.type, me.location, to.name]);
          await syncMembers(root.db, s.db, s.queue);
        } finally {
          await root.close();
        }
        const from = me.provider ? list.find((m) => m.name === me.provider) : undefined;
        const oldUrl = node.providerUrl ?? from?.location;
        if (oldUrl) {
          try {
            oldProvider = await openClient(ctx, oldUrl);
            await oldProvider.query('select pgq.unregister_consumer($1, $2)', [s.queue, consumer]);
          } catch (err) {
            ctx.log('WARNING', `Could not unregister "${consumer}" from its old provider: ${(err as Error).message}`);
          }
        }
        await s.db.query(`select pg_notify(lambdiste.queue_channel($1, 'work'), '')`, [s.queue]);
        ctx.log('INFO', `Node "${node.name}" now reads from "${to.name}", after tick ${pos.tick}`);
        ctx.log('INFO', 'Done');
        return ok;
      } finally {
        await lock.release();
      }
    } finally {
      await lockDb.end().catch(() => undefined);
      await newProvider.end().catch(() => undefined);
      if (oldProvider) await (oldProvider as pg.Client).end().catch(() => undefined);
    }
  });
}

/**
 * Makes this branch the root, in one transaction: its queue ticked here
 * and open to its capture triggers (which refused local writes until
 * now), its sequences at least at `seqFloor`'s values, its own position
 * dropped. Every table must be in sync here.
 */
async function promote(s: NodeSession, node: NodeRow, seqFloor: Map<string, string>): Promise<void> {
  const { rows: notOk } = await s.db.query(
    `select tbl_name from lambdiste.table_info where tbl_queue = $1 and tbl_merge_state is distinct from 'ok' order by 1`, [s.queue]);
  if (notOk.length) throw new CommandError(`Tables not in sync on "${node.name}" (${notOk.map((r) => r.tbl_name).join(', ')}): it cannot become the root`);
  await s.db.query(
    `update lambdiste.node set node_type = 'root', node_provider = null, node_consumer = null where node_queue = $1`, [s.queue]);
  await s.db.query(
    `update pgq.queue set queue_external_ticker = false, queue_disable_insert = false, queue_ticker_paused = false
      where queue_name = $1`, [s.queue]);
  await s.db.query(`select pgq.set_queue_config($1, 'ticker_max_lag', '50 milliseconds')`, [s.queue]);
  await s.db.query('delete from lambdiste.applied where app_queue = $1 and app_consumer = $2', [s.queue, node.consumer ?? node.name]);
  const { rows: seqs } = await s.db.query('select seq_name from lambdiste.seq_info where seq_queue = $1', [s.queue]);
  for (const { seq_name } of seqs) {
    const v = seqFloor.get(seq_name);
    if (v !== undefined) await s.db.query('select pgq.seq_setval($1, $2::bigint)', [seq_name, v]);
  }
}

/** The sequences' values on a database, by name (those listed in its seq_info). */
async function sequenceValues(db: pg.ClientBase, queue: string): Promise<Map<string, string>> {
  const { rows } = await db.query(
    'select seq_name, pgq.seq_getval(seq_name)::text as v from lambdiste.seq_info where seq_queue = $1', [queue]);
  return new Map(rows.map((r) => [r.seq_name as string, r.v as string]));
}

/** The members after `newRoot` took over from `oldRoot` (which follows it as a branch, unless dead). */
async function writeMembers(db: pg.ClientBase, queue: string, list: Member[], newRoot: string, oldRoot: string, oldDead: boolean): Promise<void> {
  await db.query('delete from lambdiste.member where member_queue = $1', [queue]);
  for (const m of list) {
    let { type, provider } = m;
    if (m.name === newRoot) [type, provider] = ['root', null];
    else if (m.name === oldRoot) [type, provider] = ['branch', newRoot];
    await db.query(
      `insert into lambdiste.member (member_queue, member_name, member_type, member_location, member_consumer, member_provider, member_dead)
       values ($1, $2, $3, $4, $5, $6, $7)`,
      [queue, m.name, type, m.location, type === 'root' ? null : m.name, provider, m.dead || (m.name === oldRoot && oldDead)],
    );
  }
}

/**
 * takeover OLDNODE, run on a branch whose provider is the root OLDNODE:
 * a planned switchover. On the old root: its queue refuses new events
 * (its tables' writes fail from then on), transactions that began before
 * are waited for, a last tick is written and its ticker paused. Once this
 * branch has applied that last tick, it becomes the root (its sequences
 * at least the old root's), the old root becomes a branch reading from it
 * at that tick (its own subscribers keep reading from it), and the member
 * lists say so. A takeover that fails before this branch has become the
 * root (a wait timed out, the branch's worker is not running) is
 * abandoned: the old root takes writes and ticks again, and the error
 * says why. With the old root tagged dead (tag-dead), this branch
 * becomes the root with what it has applied, without reaching it.
 */
export async function takeover(ctx: CommandContext, args: string[], options: CommandOptions): Promise<CommandResult> {
  const oldName = nodeArg(args, 'takeover');
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    if (node.type !== 'branch') throw new CommandError(`Node "${node.name}" is a ${node.type}: takeover runs on a branch`);
    const { list } = await members(ctx, s, node);
    const old = memberNamed(list, oldName);
    const me = memberNamed(list, node.name);
    if (old.name === node.name) throw new CommandError(`Node "${node.name}" cannot take over from itself`);
    if (old.type !== 'root') throw new CommandError(`Node "${old.name}" is a ${old.type}, not the root: takeover of a root only`);
    if (me.provider !== old.name) throw new CommandError(`Node "${old.name}" is not the provider of "${node.name}"`);
    const consumer = node.consumer ?? node.name;
    const newLocation = me.location ?? ctx.config.db;

    if (old.dead) {
      const lockDb = await openClient(ctx, ctx.config.db);
      try {
        const lock = await lockRuns(ctx, options, lockDb, `${s.queue}/${consumer}`);
        try {
          const pos = await readPosition(s.db, s.queue, consumer);
          if (pos?.partialTick != null) throw new CommandError(`A batch is half applied on "${node.name}": run its worker once, then takeover`);
          await s.db.query('begin');
          await promote(s, node, new Map());
          await writeMembers(s.db, s.queue, list, node.name, old.name, true);
          await wakeAll(s.db, s.queue);
          await s.db.query('commit');
          ctx.log('INFO', `Node "${node.name}" is the root now, from tick ${pos?.tick}; "${old.name}" is dead`);
          ctx.log('INFO', 'Done');
          return ok;
        } catch (err) {
          await s.db.query('rollback').catch(() => undefined);
          throw err;
        } finally {
          await lock.release();
        }
      } finally {
        await lockDb.end().catch(() => undefined);
      }
    }

    if (!old.location) throw new CommandError(`Node "${old.name}" has no location in the member list`);
    const oldUrl = node.providerUrl ?? old.location;
    const oldDb = await openClient(ctx, oldUrl);
    const lockDb = await openClient(ctx, ctx.config.db);
    try {
      const oldNode = await readNode(oldDb, s.queue);
      if (!oldNode || oldNode.name !== old.name || oldNode.type !== 'root') {
        throw new CommandError(`The provider of "${node.name}" is not the root "${old.name}"`);
      }
      // What steps 1 and 2 change, to be put back if the takeover fails before step 4.
      const { rows: [was] } = await oldDb.query(
        'select queue_disable_insert, queue_ticker_paused from pgq.queue where queue_name = $1', [s.queue]);
      let last = 0;
      let lock: RunLock | undefined;
      try {
        // 1. No new events on the old root; those of transactions already going are waited for.
        ctx.log('INFO', `Old root "${old.name}": refusing new events`);
        const { rows: [began] } = await oldDb.query(
          `update pgq.queue set queue_disable_insert = true where queue_name = $1 returning clock_timestamp() as at`, [s.queue]);
        await waitFor(ctx, options, `transactions on "${old.name}" to end`, async () => {
          const { rows } = await oldDb.query(
            `select count(*)::int as n from pg_stat_activity
              where datname = current_database() and pid <> pg_backend_pid() and xact_start < $1`, [began.at]);
          return rows[0].n === 0 ? true : null;
        });
        // 2. A last tick, and no ticks after it: with the ticker's lock held
        // (waiting for a ticker at work), so that the last tick's snapshot
        // is taken after every event has committed.
        await oldDb.query('begin');
        try {
          await oldDb.query(
            `select pg_advisory_xact_lock(hashtext('pgq.ticker'), queue_id) from pgq.queue where queue_name = $1`, [s.queue]);
          await oldDb.query('select pgq.force_tick($1)', [s.queue]);
          await oldDb.query('select pgq.ticker($1)', [s.queue]);
          await oldDb.query('update pgq.queue set queue_ticker_paused = true where queue_name = $1', [s.queue]);
          last = await tickOf(oldDb, s.queue);
          // The subscribers' workers come for the last tick now.
          await oldDb.query(`select pg_notify(lambdiste.queue_channel($1, 'tick'), '')`, [s.queue]);
          await oldDb.query('commit');
        } catch (err) {
          await oldDb.query('rollback').catch(() => undefined);
          throw err;
        }
        const seqs = await sequenceValues(oldDb, s.queue);
        ctx.log('INFO', `Old root "${old.name}": last tick ${last}; waiting for "${node.name}" to apply it`);
        // 3. This branch applies up to the last tick (its worker does).
        await waitFor(ctx, options, `"${node.name}" to apply tick ${last}`, async () => {
          const pos = await readPosition(s.db, s.queue, consumer);
          return pos && pos.tick >= last && pos.partialTick === null && (await tickOf(s.db, s.queue)) >= last ? true : null;
        });
        lock = await lockRuns(ctx, options, lockDb, `${s.queue}/${consumer}`);
        // 4. This branch becomes the root, with the old root as its subscriber at the last tick.
        await s.db.query('begin');
        try {
          await promote(s, node, seqs);
          await s.db.query('select lambdiste.subscribe($1, $2, $3)', [s.queue, old.name, last]);
          await writeMembers(s.db, s.queue, list, node.name, old.name, false);
          await wakeAll(s.db, s.queue);
          await s.db.query('commit');
        } catch (err) {
          await s.db.query('rollback').catch(() => undefined);
          throw err;
        }
      } catch (err) {
        await lock?.release();
        throw await abandonTakeover(ctx, oldUrl, s.queue, old.name, was, err);
      }
      ctx.log('INFO', `Node "${node.name}" is the root now`);
      try {
        // 5. The old root becomes a branch reading from here.
        await oldDb.query('begin');
        try {
          await oldDb.query(
            `update lambdiste.node set node_type = 'branch', node_provider = $2, node_consumer = node_name where node_queue = $1`,
            [s.queue, newLocation]);
          await oldDb.query(
            `update pgq.queue set queue_external_ticker = true, queue_disable_insert = true, queue_ticker_paused = false
              where queue_name = $1`, [s.queue]);
          await oldDb.query(
            `insert into lambdiste.applied (app_queue, app_consumer, app_tick) values ($1, $2, $3)
             on conflict (app_queue, app_consumer) do update set app_tick = excluded.app_tick,
                 app_partial_tick = null, app_partial_event = null, app_updated = now()`,
            [s.queue, old.name, last]);
          await oldDb.query('select pgq.unregister_consumer($1, $2)', [s.queue, consumer]);
          await writeMembers(oldDb, s.queue, list, node.name, old.name, false);
          await wakeAll(oldDb, s.queue);
          await oldDb.query('commit');
        } catch (err) {
          await oldDb.query('rollback').catch(() => undefined);
          throw err;
        }
        ctx.log('INFO', `Node "${old.name}" is a branch of "${node.name}" now, after tick ${last}`);
        ctx.log('INFO', 'Done');
        return ok;
      } finally {
        await lock.release();
      }
    } finally {
      await lockDb.end().catch(() => undefined);
      await oldDb.end().catch(() => undefined);
    }
  });
}

/**
 * A takeover that failed before the branch became the root gives the old
 * root back what steps 1 and 2 took (its queue takes events, its ticker
 * ticks), on a connection of its own (the old one may be what failed), and
 * wakes its ticker and subscribers. Returns the error to fail with.
 */
async function abandonTakeover(
  ctx: CommandContext, url: string, queue: string, oldName: string,
  was: { queue_disable_insert: boolean; queue_ticker_paused: boolean }, cause: unknown,
): Promise<CommandError> {
  const why = cause instanceof Error ? cause.message : String(cause);
  try {
    const db = await openClient(ctx, url);
    try {
      await db.query('update pgq.queue set queue_disable_insert = $2, queue_ticker_paused = $3 where queue_name = $1',
        [queue, was.queue_disable_insert, was.queue_ticker_paused]);
      await wakeAll(db, queue);
    } finally {
      await db.end().catch(() => undefined);
    }
  } catch (err) {
    return new CommandError(`Takeover abandoned (${why}), but "${oldName}" still refuses writes: ${(err as Error).message}. ` +
      `On "${oldName}", run: update pgq.queue set queue_disable_insert = ${was.queue_disable_insert}, ` +
      `queue_ticker_paused = ${was.queue_ticker_paused} where queue_name = '${queue}'`);
  }
  ctx.log('WARNING', `Takeover abandoned: "${oldName}" is still the root, and takes writes and ticks again`);
  return new CommandError(`Takeover abandoned: ${why}`);
}

/**
 * tag-dead NODE: the member list says NODE is gone (the root's, when it
 * can be reached, and this node's copy). Status leaves it out; a branch
 * whose root is tagged dead can then take it over with what it has
 * (takeover ROOT).
 */
export async function tagDead(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  const name = nodeArg(args, 'tag-dead');
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    if (name === node.name) throw new CommandError(`Node "${node.name}" cannot tag itself dead`);
    const { list, fromRoot } = await members(ctx, s, node);
    const m = memberNamed(list, name);
    if (m.dead) {
      ctx.log('INFO', `Node "${name}" is already tagged dead`);
      return ok;
    }
    if (fromRoot && m.type !== 'root') {
      const root = await openRoot(ctx, s.db, node, s.queue);
      try {
        await root.db.query('update lambdiste.member set member_dead = true where member_queue = $1 and member_name = $2', [s.queue, name]);
      } finally {
        await root.close();
      }
    }
    await s.db.query('update lambdiste.member set member_dead = true where member_queue = $1 and member_name = $2', [s.queue, name]);
    ctx.log('INFO', `Node "${name}" tagged dead`);
    return ok;
  });
}

/**
 * drop-node NODE: removes a subscriber from the queue: its consumer is
 * unregistered from its provider (whose events it no longer holds back),
 * it leaves the member list, and, when its database can be reached, it
 * stops being a node there (its tables' triggers and a branch's queue are
 * dropped; the data stays). A node with subscribers, and the root, cannot
 * be dropped.
 */
export async function dropNode(ctx: CommandContext, args: string[]): Promise<CommandResult> {
  const name = nodeArg(args, 'drop-node');
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    const { list } = await members(ctx, s, node);
    const m = memberNamed(list, name);
    if (m.type === 'root') throw new CommandError(`Node "${name}" is the root: it cannot be dropped`);
    const below = list.filter((x) => x.provider === name && !x.dead);
    if (below.length) throw new CommandError(`Node "${name}" has subscribers (${below.map((x) => x.name).join(', ')}): move or drop them first`);
    const provider = m.provider ? list.find((x) => x.name === m.provider) : undefined;
    if (provider?.location && !provider.dead) {
      const p = await openClient(ctx, provider.name === node.name ? ctx.config.db : provider.location);
      try {
        await p.query('select pgq.unregister_consumer($1, $2)', [s.queue, m.consumer ?? m.name]);
        const { rows } = await p.query('select co_name from pgq.consumer where co_name like $1', [`${m.consumer ?? m.name}.copy.%`]);
        for (const r of rows) await p.query('select pgq.unregister_consumer($1, $2)', [s.queue, r.co_name]);
      } finally {
        await p.end().catch(() => undefined);
      }
    }
    const root = await openRoot(ctx, s.db, node, s.queue);
    try {
      await root.db.query('delete from lambdiste.member where member_queue = $1 and member_name = $2', [s.queue, name]);
    } finally {
      await root.close();
    }
    await s.db.query('delete from lambdiste.member where member_queue = $1 and member_name = $2', [s.queue, name]);
    const url = m.name === node.name ? ctx.config.db : m.location;
    if (url && !m.dead) {
      const db = await openClient(ctx, url).catch(() => null);
      if (db) {
        try {
          await db.query('begin');
          const { rows } = await db.query('select tbl_name from lambdiste.table_info where tbl_queue = $1', [s.queue]);
          for (const r of rows) await db.query('select lambdiste.local_remove_table($1, $2)', [s.queue, r.tbl_name]);
          await db.query('delete from lambdiste.seq_info where seq_queue = $1', [s.queue]);
          await db.query('delete from lambdiste.applied where app_queue = $1', [s.queue]);
          await db.query('delete from lambdiste.member where member_queue = $1', [s.queue]);
          await db.query('delete from lambdiste.consumer_error where err_queue = $1', [s.queue]);
          if (m.type === 'branch') await db.query('select pgq.drop_queue($1, true)', [s.queue]);
          await db.query('delete from lambdiste.node where node_queue = $1', [s.queue]);
          await db.query('commit');
        } catch (err) {
          await db.query('rollback').catch(() => undefined);
          ctx.log('WARNING', `Node "${name}" left the queue, but its database kept its node: ${(err as Error).message}`);
        } finally {
          await db.end().catch(() => undefined);
        }
      }
    }
    ctx.log('INFO', `Node "${name}" dropped`);
    return ok;
  });
}
