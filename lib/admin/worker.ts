import { runMaintenance, tickAll } from '../queue/api.ts';
import { runTicker } from '../queue/ticker.ts';
import { runConsumer } from '../replica/consumer.ts';
import { CommandError, openClient, readNode, requireNode, withNodeSession } from './session.ts';
import type { CommandContext, CommandOptions, CommandResult } from './types.ts';

const ok: CommandResult = { exitCode: 0, tables: [] };

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });

function seconds(v: string | undefined, fallback: number): number {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isFinite(n) || n < 0) throw new CommandError(`Invalid number of seconds: ${v}`);
  return n;
}

/**
 * ticker: closes batches on the root in this process (what the ticker
 * Lambda does on its schedule): one round with --once, else until stopped.
 * Settings: tick_period (seconds, default 1), maint_period (default 30).
 */
export async function ticker(ctx: CommandContext, options: CommandOptions): Promise<CommandResult> {
  const db = await openClient(ctx, ctx.config.db);
  try {
    const node = await readNode(db, ctx.config.queueName).catch(() => null);
    if (!node || node.type !== 'root') throw new CommandError(`This database is not the root of queue "${ctx.config.queueName}"`);
    if (options.once) {
      const ticks = await tickAll(db);
      const maint = await runMaintenance(db);
      ctx.log('INFO', `Ticks: ${ticks}${maint.length ? `, maintenance: ${maint.join(', ')}` : ''}`);
      return ok;
    }
    const r = await runTicker(db, {
      deadline: Number.MAX_SAFE_INTEGER,
      tickPeriodMs: seconds(ctx.config.settings.tick_period, 1) * 1000,
      maintPeriodMs: seconds(ctx.config.settings.maint_period, 30) * 1000,
      signal: ctx.signal,
    });
    ctx.log('INFO', `Ticker stopped after ${r.ticks} ticks`);
    return ok;
  } finally {
    await db.end().catch(() => undefined);
  }
}

/**
 * worker: this node's work in this process, for users without Lambda. On a
 * leaf it applies batches and copies tables; on the root it runs the
 * ticker (the root has nothing else to do). --once does one round.
 * Settings: loop_delay (seconds idle between rounds, default 0.2),
 * parallel_copies (default for max_parallel_copy, default 1).
 */
export async function worker(ctx: CommandContext, options: CommandOptions): Promise<CommandResult> {
  const node = await withNodeSession(ctx, async (s) => requireNode(s));
  if (node.type === 'root') return ticker(ctx, options);
  const providerUrl = ctx.config.settings.provider_db ?? node.providerUrl;
  if (!providerUrl) throw new CommandError('This leaf has no provider');
  const loopDelay = seconds(ctx.config.settings.loop_delay, 0.2) * 1000;
  const parallel = Number(ctx.config.settings.parallel_copies ?? 1);
  for (;;) {
    const r = await runConsumer({
      queue: ctx.config.queueName,
      consumer: node.consumer ?? node.name,
      providerUrl,
      subscriberUrl: ctx.config.db,
      deadline: Date.now() + 30_000,
      maxParallelCopy: parallel,
      log: (level, message) => ctx.log(level, message),
    });
    if (r.busy) ctx.log('WARNING', 'Another worker is running for this node');
    else if (r.batches || r.copiedRows) {
      ctx.log('INFO', `Applied ${r.batches} batch(es), ${r.events} event(s)${r.copiedRows ? `, copied ${r.copiedRows} row(s)` : ''}`);
    }
    if (options.once || ctx.signal?.aborted) return ok;
    if (!r.moreWork) await sleep(loopDelay, ctx.signal);
    if (ctx.signal?.aborted) return ok;
  }
}
