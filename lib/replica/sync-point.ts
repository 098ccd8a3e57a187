import type pg from 'pg';
import { SET_LOCAL_SETTINGS } from '../db/connect.ts';
import { applyNextBatch } from './batch.ts';
import { okTables } from './copy-work.ts';
import { isPaused } from './consumer.ts';
import { readPosition } from './position.ts';
import { waitForRunLock, type RunLock } from './run-lock.ts';

/**
 * A table seen at one position of the event stream on both sides: the
 * provider's rows in the snapshot of a tick T, the subscriber's once it
 * has applied exactly the batches up to T, no more, no less. compare and
 * repair read (and repair writes) there.
 *
 * How (Londiste's recipe, with a snapshot handed over instead of a table
 * kept locked while it is read):
 *  1. The leaf's consumer run lock is taken, as a consumer run takes it:
 *     no worker or consumer function applies anything while it is held.
 *  2. On the provider, a transaction locks the table IN SHARE MODE (every
 *     writer of it has committed or waits) and exports its snapshot S.
 *  3. Still under that lock, a tick T is written from another session: its
 *     snapshot, taken after the lock was granted, sees exactly the writers
 *     of the table that S sees (those that committed before the lock), and
 *     none that come after (they wait for the lock).
 *  4. A third session reads in S (SET TRANSACTION SNAPSHOT), and the lock
 *     is released: writers go on at once.
 *  5. On the subscriber, under the run lock, the consumer's batches are
 *     applied one tick at a time (the consumer's own code, exactly once)
 *     until its position is T.
 * A provider that is a branch gets no tick written: steps 2 to 4 are a
 * snapshot where its tables stand at its last tick T (branchSnapshot).
 */
export interface SyncPoint {
  /** The tick both sides stand at. */
  tick: number;
  /** A repeatable-read, read-only transaction on the provider in the tick's snapshot. */
  provider: pg.Client;
  /** The subscriber at the tick, while the run lock is held (no transaction open). */
  subscriber: pg.ClientBase;
  /** Releases the consumer's run lock: batches after the tick may be applied again. */
  release(): Promise<void>;
}

export interface SyncPointOptions {
  queue: string;
  consumer: string;
  /** Opens a new connection to the provider / to the subscriber. */
  openProvider: () => Promise<pg.Client>;
  openSubscriber: () => Promise<pg.Client>;
  /** The subscriber connection commands use. */
  subscriber: pg.ClientBase;
  /** How long to wait for a consumer run, a table's writers or the ticker (ms); applying the backlog up to the tick is not limited. */
  waitMs?: number;
  log?: (message: string) => void;
  signal?: AbortSignal;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SyncPointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SyncPointError';
  }
}

/** The run lock, waiting for a consumer run in progress to end. */
export async function waitRunLock(lockDb: pg.Client, key: string, until: number, signal?: AbortSignal): Promise<RunLock> {
  const lock = await waitForRunLock(lockDb, key, until, signal);
  if (!lock) throw new SyncPointError(`The consumer of this node stayed busy: try again`);
  return lock;
}

/**
 * The sync point on a provider that is a branch, where no tick can be
 * written (its ticks are its provider's, written by its consumer): its
 * last tick, in an exported snapshot (left open on `db`) where its tables
 * stand exactly there, its consumer's position being that tick with no
 * batch half applied. Its tables change only when its consumer applies a
 * batch, whose tick is written just after the batch commits: a snapshot
 * taken between the two is taken again.
 */
async function branchSnapshot(db: pg.Client, queue: string, until: number): Promise<{ snap: { id: string }; tick: number }> {
  for (;;) {
    await db.query('begin isolation level repeatable read');
    const { rows: [r] } = await db.query(
      `select pg_export_snapshot() as id, a.app_tick, a.app_partial_tick,
              (select max(t.tick_id) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue where q.queue_name = $1) as last
         from lambdiste.node n
         left join lambdiste.applied a on a.app_queue = n.node_queue and a.app_consumer = coalesce(n.node_consumer, n.node_name)
        where n.node_queue = $1`, [queue]);
    if (r && r.last !== null && r.app_tick !== null && Number(r.app_tick) === Number(r.last) && r.app_partial_tick === null) {
      return { snap: { id: r.id }, tick: Number(r.last) };
    }
    await db.query('rollback');
    if (Date.now() > until) throw new SyncPointError('The provider, a branch, has not written the tick of the batch it applied last: try again');
    await sleep(20);
  }
}

/**
 * Brings `table` (a canonical name, replicated and `ok` on the subscriber)
 * to one stream position on both sides and runs `fn` there; the provider
 * transaction and the run lock end with it.
 */
export async function atSyncPoint<T>(opts: SyncPointOptions, table: string, fn: (p: SyncPoint) => Promise<T>): Promise<T> {
  const until = Date.now() + (opts.waitMs ?? 60_000);
  const lockDb = await opts.openSubscriber();
  const locker = await opts.openProvider();
  let ticker: pg.Client | null = null;
  let reader: pg.Client | null = null;
  let lock: RunLock | null = null;
  try {
    lock = await waitRunLock(lockDb, `${opts.queue}/${opts.consumer}`, until, opts.signal);
    if (await isPaused(opts.subscriber, opts.queue)) throw new SyncPointError('This node is paused: resume it first');
    ticker = await opts.openProvider();
    const { rows: [q] } = await ticker.query('select queue_external_ticker as branch from pgq.queue where queue_name = $1', [opts.queue]);
    let snap: { id: string };
    let tick: number | null = null;
    if (q?.branch) {
      ({ snap, tick } = await branchSnapshot(locker, opts.queue, until));
    } else {
      opts.log?.(`Locking ${table}`);
      const lockMs = Math.max(1000, until - Date.now());
      await locker.query(`begin isolation level repeatable read; set local lock_timeout = ${Math.trunc(lockMs)}`);
      // A canonical name from table_info, quoted as needed. LOCK takes no snapshot: the export below does.
      await locker.query(`lock table ${table} in share mode`);
      snap = (await locker.query('select pg_export_snapshot() as id')).rows[0];
      while (tick === null) {
        // A ticker working at this moment makes pgq.ticker return NULL: try again once it is done.
        await ticker.query('select pgq.force_tick($1)', [opts.queue]);
        const { rows } = await ticker.query('select pgq.ticker($1) as t', [opts.queue]);
        tick = rows[0].t === null ? null : Number(rows[0].t);
        if (tick === null) {
          if (Date.now() > until) throw new SyncPointError('Could not write a tick on the provider');
          await sleep(20);
        }
      }
    }
    reader = await opts.openProvider();
    await reader.query(`begin isolation level repeatable read read only; set transaction snapshot '${String(snap.id).replace(/'/g, "''")}'; ${SET_LOCAL_SETTINGS}`);
    await locker.query('commit');

    opts.log?.(`Syncing ${table}`);
    const sub = opts.subscriber;
    for (;;) {
      const pos = await readPosition(sub, opts.queue, opts.consumer);
      if (!pos) throw new SyncPointError(`Consumer ${opts.consumer} has no position on this subscriber`);
      if (pos.tick === tick && pos.partialTick === null) break;
      if (pos.tick > tick) throw new SyncPointError(`The subscriber went past tick ${tick} while locked: another consumer is running`);
      // No time limit here: each batch moves the position on, and the backlog is what it is.
      if (opts.signal?.aborted) throw new SyncPointError(`Stopped before the subscriber reached tick ${tick}`);
      const r = await applyNextBatch(
        { provider: ticker, subscriber: sub, queue: opts.queue, pageSize: 5000, timeLeft: () => true },
        opts.consumer, (db) => okTables(db, opts.queue),
      );
      if (r.status === 'none') throw new SyncPointError(`No batch up to tick ${tick} for consumer ${opts.consumer}`);
    }
    const held = lock;
    lock = null;
    return await fn({ tick, provider: reader, subscriber: sub, release: () => held.release() });
  } finally {
    if (lock) await lock.release();
    await lockDb.query('commit').catch(() => undefined);
    for (const c of [locker, ticker, reader]) {
      if (!c) continue;
      await c.query('rollback').catch(() => undefined);
      await c.end().catch(() => undefined);
    }
    await lockDb.end().catch(() => undefined);
  }
}
