import type pg from 'pg';
import { ConfigError } from '../config.ts';
import { runForever, type DaemonOptions } from '../daemon.ts';
import { KeptConnections } from '../db/kept.ts';
import { hideSecrets } from '../db/secrets.ts';
import { SchemaTooNewError } from '../install.ts';
import { runMaintenance, tickAll } from '../queue/api.ts';
import { TickerSchedule } from '../queue/ticker.ts';
import { Wakeup } from '../queue/wakeup.ts';
import { runConsumer } from '../replica/consumer.ts';
import { CommandError, findNode, openClient, readNode, requireNode, type NodeRow } from './session.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';

const ok: CommandResult = { exitCode: 0, tables: [] };

function seconds(ctx: CommandContext, name: string, fallback: number): number {
  const v = ctx.config.settings[name];
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CommandError(`Invalid number of seconds for ${name}: ${v}`);
  return n;
}

/**
 * Errors no retry can fix, which end a daemon with exit code 1: a bad ini,
 * no node or the wrong kind of node, a schema newer than this Lambdiste, a
 * password refused, a database that does not exist. Everything else
 * (connections refused or cut, a server restarting, serialization failures
 * and deadlocks, an event the subscriber cannot apply yet) is retried.
 */
export function isConfigurationError(err: unknown): boolean {
  if (err instanceof CommandError || err instanceof ConfigError || err instanceof SchemaTooNewError) return true;
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  // invalid_authorization_specification, invalid_password, invalid_catalog_name
  return code === '28000' || code === '28P01' || code === '3D000';
}

/** This database's node for the queue (a root if `type` says so), or a configuration error. */
async function nodeOf(ctx: CommandContext, db: pg.ClientBase, type?: 'root'): Promise<NodeRow> {
  const node = requireNode({ queue: ctx.config.queueName, node: await findNode(db, ctx.config.queueName) });
  if (type === 'root' && node.type !== 'root') throw new CommandError(`This database is not the root of queue "${ctx.config.queueName}"`);
  return node;
}

/** A node's daemon: one round of its work at a time, on connections kept between rounds. */
interface Daemon {
  /** Resolves to the milliseconds to wait before the next round. */
  round(): Promise<number>;
  /** Logs what the daemon did, once it is stopped. */
  stopped(): void;
}

/**
 * The root's: pgqd's work. It sleeps until the capture triggers say events
 * arrived (or tick_period at the latest: other producers, idle ticks and
 * maintenance, every maint_period, need no notification), ticks as soon as
 * the queue's ticker_max_lag allows, and tells the consumers a batch is
 * ready.
 */
function tickerDaemon(ctx: CommandContext, conns: KeptConnections, wakeup: Wakeup): Daemon {
  const queue = ctx.config.queueName;
  const schedule = new TickerSchedule(seconds(ctx, 'tick_period', 1) * 1000, seconds(ctx, 'maint_period', 30) * 1000, queue);
  let ticks = 0;
  return {
    async round() {
      const db = await conns.get(ctx.config.db);
      await wakeup.listen(db, queue, 'events');
      ticks += (await schedule.round(db, wakeup.notified)).ticks;
      return schedule.wait(db);
    },
    stopped: () => ctx.log('INFO', `Ticker stopped after ${ticks} ticks`),
  };
}

/**
 * A subscriber's (leaf or branch): one consumer run per round (copy work,
 * batches until idle or for 30 s, sequences), then rest until the
 * provider's ticker says a batch is ready or an admin command changed this
 * node's tables, or loop_delay at the latest, unless work is left. A
 * branch's run also writes each batch into its own queue with its tick
 * (which wakes its own subscribers), and the daemon runs the branch
 * queue's maintenance every maint_period: a branch's ticker is its consumer.
 */
function consumerDaemon(ctx: CommandContext, conns: KeptConnections, wakeup: Wakeup, node: NodeRow, providerUrl: string): Daemon {
  const loopDelay = seconds(ctx, 'loop_delay', 1) * 1000;
  const maintPeriod = seconds(ctx, 'maint_period', 30) * 1000;
  const parallel = Number(ctx.config.settings.parallel_copies ?? 1);
  let paused = false;
  let nextMaint = Date.now();
  return {
    async round() {
      const provider = await conns.get(providerUrl);
      const subscriber = await conns.get(ctx.config.db);
      await wakeup.listen(provider, ctx.config.queueName, 'tick');
      await wakeup.listen(subscriber, ctx.config.queueName, 'work');
      const r = await runConsumer({
        queue: ctx.config.queueName,
        consumer: node.consumer ?? node.name,
        providerUrl,
        subscriberUrl: ctx.config.db,
        provider,
        subscriber,
        branch: node.type === 'branch',
        lock: await conns.get(ctx.config.db, 'lock'),
        deadline: Date.now() + 30_000,
        maxParallelCopy: parallel,
        signal: ctx.signal,
        applicationName: ctx.config.jobName,
        log: (level, message) => ctx.log(level, message),
      });
      if (r.paused !== paused) ctx.log('INFO', r.paused ? `Node "${node.name}" is paused: nothing is applied until resume` : `Node "${node.name}" resumed`);
      paused = r.paused;
      if (r.busy) ctx.log('WARNING', 'Another worker is running for this node');
      else if (r.batches || r.copiedRows) {
        ctx.log('INFO', `Applied ${r.batches} batch(es), ${r.events} event(s)${r.copiedRows ? `, copied ${r.copiedRows} row(s)` : ''}`);
      }
      if (node.type === 'branch' && Date.now() >= nextMaint) {
        await runMaintenance(subscriber);
        nextMaint = Date.now() + maintPeriod;
      }
      return r.moreWork ? 0 : loopDelay;
    },
    stopped: () => {},
  };
}

/**
 * Runs this node's daemon (the ticker on a root, the consumer on a leaf;
 * only a root with `type`) until SIGTERM/SIGINT, or for one round with
 * `once`. Rounds that fail are logged and retried with back-off, on new
 * connections (lib/daemon.ts); a configuration error ends it. The first
 * round also finds out what the node is, so a database that is down at
 * start is waited for like one that goes down later.
 */
async function serve(ctx: CommandContext, once: boolean, type?: 'root'): Promise<CommandResult> {
  // Passwords of every database the daemon talks to, kept out of its log.
  const secretsIn = [ctx.config.db];
  const conns = new KeptConnections((url) => openClient(ctx, url, ctx.config.jobName));
  let wakeup = new Wakeup();
  let daemon: Daemon | undefined;
  // What the daemon was made for: the node's type and provider, read again
  // every round (change-provider and takeover change them under a running
  // worker).
  let made = '';
  const round = async () => {
    // The first round checks that the schema is there (a configuration error otherwise); later ones only read the node.
    const db = await conns.get(ctx.config.db);
    const node = daemon ? requireNode({ queue: ctx.config.queueName, node: await readNode(db, ctx.config.queueName) }, type)
      : await nodeOf(ctx, db, type);
    const providerUrl = node.type === 'root' ? null : (ctx.config.settings.provider_db ?? node.providerUrl);
    const kind = `${node.type} ${providerUrl ?? ''}`;
    if (!daemon || kind !== made) {
      if (daemon) {
        ctx.log('INFO', `Node "${node.name}" is now a ${node.type}${node.type === 'root' ? '' : ' reading from another provider'}`);
        await wakeup.close();
      }
      made = kind;
      if (node.type === 'root') {
        // Through a pooler, the ticker looks for events every ticker_max_lag (50 ms); a leaf for batches every 100 ms.
        wakeup = new Wakeup(50);
        daemon = tickerDaemon(ctx, conns, wakeup);
      } else {
        if (!providerUrl) throw new CommandError(`This ${node.type} has no provider`);
        if (!secretsIn.includes(providerUrl)) secretsIn.push(providerUrl);
        wakeup = new Wakeup();
        daemon = consumerDaemon(ctx, conns, wakeup, node, providerUrl);
      }
    }
    return daemon.round();
  };
  const options: DaemonOptions = {
    signal: ctx.signal,
    log: ctx.log,
    retryDelayMs: seconds(ctx, 'retry_delay', 1) * 1000,
    maxRetryDelayMs: seconds(ctx, 'retry_max_delay', 30) * 1000,
    isFatal: isConfigurationError,
    sleep: async (ms, signal) => void (await wakeup.wait(ms, signal)),
    describe: (err) => hideSecrets(err instanceof Error ? err.message : String(err), secretsIn),
  };
  try {
    if (once) {
      await round();
      return ok;
    }
    await runForever(async () => {
      try {
        return await round();
      } catch (err) {
        throw await conns.reset(err);
      }
    }, options);
    daemon?.stopped();
    return ok;
  } finally {
    await conns.close();
  }
}

/**
 * ticker: closes batches on the root in this process (what the ticker
 * Lambda does on its schedule): one round with --once, else until stopped.
 * It ticks when events arrive (see tickerDaemon). Settings: tick_period
 * (seconds, the longest sleep, default 1), maint_period (default 30),
 * retry_delay and retry_max_delay (back-off after a failed round, default 1 and 30).
 */
export async function ticker(ctx: CommandContext, options: CommandOptions): Promise<CommandResult> {
  if (!options.once) return serve(ctx, false, 'root');
  const db = await openClient(ctx, ctx.config.db);
  try {
    await nodeOf(ctx, db, 'root');
    const ticks = await tickAll(db);
    const maint = await runMaintenance(db);
    ctx.log('INFO', `Ticks: ${ticks}${maint.length ? `, maintenance: ${maint.join(', ')}` : ''}`);
    return ok;
  } finally {
    await db.end().catch(() => undefined);
  }
}

/**
 * worker: this node's work in this process, for users without Lambda. On a
 * leaf it applies batches and copies tables; on a branch too, feeding its
 * own queue; on the root it runs the ticker (the root has nothing else to
 * do). It follows its node when change-provider or takeover changes it. --once does one round.
 * A leaf's worker wakes when the root's ticker closes a batch. Settings:
 * loop_delay (seconds, the longest sleep between rounds, default 1),
 * parallel_copies (default for max_parallel_copy, default 1), retry_delay
 * and retry_max_delay (default 1 and 30), and the root's ticker settings.
 */
export async function worker(ctx: CommandContext, options: CommandOptions): Promise<CommandResult> {
  if (options.once) {
    const db = await openClient(ctx, ctx.config.db);
    const root = await nodeOf(ctx, db).then((n) => n.type === 'root').finally(() => db.end().catch(() => undefined));
    if (root) return ticker(ctx, options);
  }
  return serve(ctx, Boolean(options.once));
}
