import type pg from 'pg';
import { connect } from '../db/connect.ts';
import { hideSecrets } from '../db/secrets.ts';
import { applyNextBatch, type Failpoint } from './batch.ts';
import { clearConsumerError, recordConsumerError } from './consumer-error.ts';
import { doCopyWork, okTables } from './copy-work.ts';
import { runLockWanted, takeRunLock } from './run-lock.ts';
import { Wakeup } from '../queue/wakeup.ts';
import { syncSequences } from './sequences.ts';
import { syncMembers } from './members.ts';

export interface ConsumerOptions {
  queue: string;
  /** The subscriber's consumer name on the provider's queue (its node name). */
  consumer: string;
  /**
   * The subscriber is a branch: every batch is also written into its own
   * queue, with the provider's tick (lib/replica/batch.ts, requeue), one
   * provider tick at a time, so that the branch has every tick its
   * provider has and a tick id is the same position on both.
   */
  branch?: boolean;
  providerUrl: string;
  subscriberUrl: string;
  /** Epoch ms by which this run must have stopped. */
  deadline: number;
  /** Never start a step with less than this left (ms). */
  safetyMs?: number;
  /** Events staged and applied at once at most (default 250,000; chunks are also bounded in bytes). */
  pageSize?: number;
  /**
   * With a backlog, ticks are taken together until a batch holds about this
   * many events (default 250,000, a chunk's worth: see pageSize): fewer
   * commits, and the last change per key is taken over more changes, so
   * that rows changed again later in the backlog are written once. (Events
   * of multi-row statements carry up to 200 rows each; a batch is applied
   * in chunks bounded in bytes, and committed in part when the run's time
   * is up.)
   */
  batchEvents?: number;
  /** Rows of a table's first copy chunk (default 100,000). */
  chunkRows?: number;
  /**
   * Copy chunks grow toward this many seconds each, within half the time
   * left (default 10); 0 keeps every chunk at chunkRows.
   */
  chunkSeconds?: number;
  /** Tables copied at once, for tables without their own max_parallel_copy. */
  maxParallelCopy?: number;
  /** Stop after this many batches (default: until idle or out of time). */
  maxBatches?: number;
  log?: (level: 'INFO' | 'WARNING', message: string) => void;
  onCopyProgress?: (table: string, rows: number) => void;
  failpoint?: (point: Failpoint) => void;
  /** The clock deadlines are measured with (tests move it). */
  clock?: () => number;
  /**
   * Stop soon (SIGTERM to a worker): no new page, chunk or batch is
   * started; the batch in flight commits what it has applied, with its
   * position, and a copy chunk in flight is rolled back.
   */
  signal?: AbortSignal;
  /** Names the connections opened here in pg_stat_activity (default "lambdiste"). */
  applicationName?: string;
  /** Connections to reuse (a warm Lambda keeps them); opened here otherwise. */
  provider?: pg.Client;
  subscriber?: pg.Client;
  /** A connection to the subscriber that holds the run's lock (lib/replica/run-lock.ts); opened here otherwise. */
  lock?: pg.Client;
  /**
   * With no batch ready, wait this long (ms) for the ticker to close one
   * before the run ends, woken by its notification (listening on the
   * provider connection): under a steady load one run then goes on from
   * batch to batch instead of one run per batch. Default 0.
   */
  lingerMs?: number;
  /**
   * A run that goes on (lingering under a steady load, or through a
   * backlog) looks at its tables' copy work again at most this often (ms,
   * default 1000): a table added meanwhile starts copying, a copy goes on
   * to its handover, without waiting for the run to end.
   */
  copyCheckMs?: number;
}

export interface ConsumerRun {
  /** Another consumer holds this subscriber: nothing was done. */
  busy: boolean;
  /** The node is paused (pause): nothing was done, or no more once it was paused. */
  paused: boolean;
  batches: number;
  events: number;
  copiedRows: number;
  /** Work was left for a next run (stopped by the deadline or maxBatches). */
  moreWork: boolean;
  /** Tables not yet `ok`. */
  pendingTables: number;
}

/** Whether this subscriber's node is paused (the pause command). */
export async function isPaused(db: pg.ClientBase, queue: string): Promise<boolean> {
  const { rows } = await db.query('select node_paused from lambdiste.node where node_queue = $1', [queue]);
  return rows[0]?.node_paused === true;
}

/**
 * Records a failed run on the subscriber for `status`, on a connection of
 * its own: the run's may be the one that broke. A subscriber that cannot
 * be reached gets nothing recorded; the caller reports the error anyway.
 */
async function noteFailure(opts: ConsumerOptions, err: unknown): Promise<void> {
  const message = hideSecrets(err instanceof Error ? err.message : String(err), [opts.providerUrl, opts.subscriberUrl]);
  try {
    const db = await connect(opts.subscriberUrl, { applicationName: opts.applicationName });
    try {
      await recordConsumerError(db, opts.queue, opts.consumer, err, message);
    } finally {
      await db.end().catch(() => undefined);
    }
  } catch {
    /* nowhere to record it */
  }
}

/**
 * One consumer run for one subscriber: takes the subscriber's lock, does
 * copy work, then applies batches until there is nothing left or no time
 * left, then syncs sequences. Two runs for the same subscriber never
 * overlap: the second finds the lock taken and returns `busy`. A run that
 * fails has nothing of its failed batch applied; it records its error on
 * the subscriber (shown by `status`) and throws it; the next run that
 * succeeds clears it.
 */
export async function runConsumer(opts: ConsumerOptions): Promise<ConsumerRun> {
  const open = (url: string) => connect(url, { applicationName: opts.applicationName });
  const provider = opts.provider ?? (await open(opts.providerUrl));
  const subscriber = opts.subscriber ?? (await open(opts.subscriberUrl));
  const result: ConsumerRun = { busy: false, paused: false, batches: 0, events: 0, copiedRows: 0, moreWork: false, pendingTables: 0 };
  const safety = opts.safetyMs ?? 1000;
  const clock = opts.clock ?? Date.now;
  const msLeft = () => opts.deadline - safety - clock();
  const timeLeft = () => !opts.signal?.aborted && msLeft() > 0;
  const lockDb = opts.lock ?? (await open(opts.subscriberUrl));
  try {
    const lockKey = `${opts.queue}/${opts.consumer}`;
    const lock = await takeRunLock(lockDb, lockKey);
    if (!lock) return { ...result, busy: true };
    try {
      if (await isPaused(subscriber, opts.queue)) return { ...result, paused: true };
      const ctx = {
        provider, subscriber, queue: opts.queue, consumer: opts.consumer,
        pageSize: opts.pageSize ?? 250_000,
        chunkRows: opts.chunkRows ?? 100_000,
        chunkSeconds: opts.chunkSeconds ?? 10,
        msLeft,
        maxParallelCopy: opts.maxParallelCopy ?? 1,
        timeLeft,
        failpoint: opts.failpoint,
        openProvider: () => open(opts.providerUrl),
        openSubscriber: () => open(opts.subscriberUrl),
        signal: opts.signal,
        onCopyProgress: opts.onCopyProgress,
        log: opts.log ?? (() => {}),
      };
      let copy = { rows: 0, events: 0, pending: 0 };
      let copyCheckedAt = 0;
      const copyWork = async () => {
        copy = await doCopyWork(ctx);
        copyCheckedAt = clock();
        result.copiedRows += copy.rows;
        result.events += copy.events;
      };
      await copyWork();

      let stoppedEarly = false;
      const wakeup = opts.lingerMs ? new Wakeup() : null;
      if (wakeup) await wakeup.listen(provider, opts.queue, 'tick');
      while (timeLeft()) {
        if (opts.maxBatches !== undefined && result.batches >= opts.maxBatches) {
          stoppedEarly = true;
          break;
        }
        // Paused meanwhile: the batch applied stays applied, no other starts.
        if (result.batches > 0 && (await isPaused(subscriber, opts.queue))) {
          result.paused = true;
          break;
        }
        // A command waits for this subscriber to stand still (compare, change-provider, ...): it goes first.
        if (result.batches > 0 && (await runLockWanted(lockDb, lockKey))) {
          stoppedEarly = true;
          break;
        }
        if (clock() - copyCheckedAt >= (opts.copyCheckMs ?? 1000)) await copyWork();
        // Ticks are taken together only while no table is being handed over:
        // the handover needs both consumers to stop at the same ticks.
        const r = await applyNextBatch(ctx, opts.consumer, (db) => okTables(db, opts.queue), {
          groupEvents: copy.pending === 0 && !opts.branch ? (opts.batchEvents ?? 250_000) : undefined,
          requeue: opts.branch,
        });
        if (r.status === 'none') {
          // Lingering: only a tick's notification brings it back to ask for
          // a batch, so that its last request is at least lingerMs old when
          // it ends (the ticker's waker relies on that; see wake.ts).
          if (!wakeup || !(await wakeup.wait(Math.min(opts.lingerMs!, msLeft()), opts.signal))) break;
          continue;
        }
        result.batches++;
        result.events += r.events;
        if (r.status === 'partial') {
          stoppedEarly = true;
          break;
        }
      }
      await wakeup?.close();
      if (!timeLeft()) stoppedEarly = true;

      // Tables that finished copying may be ready to hand over now.
      if (copy.pending > 0 && timeLeft() && !result.paused) await copyWork();
      result.pendingTables = copy.pending;
      await syncSequences(provider, subscriber, opts.queue);
      await syncMembers(provider, subscriber, opts.queue);
      result.moreWork = !result.paused && (stoppedEarly || result.pendingTables > 0);
      await clearConsumerError(subscriber, opts.queue, opts.consumer);
    } catch (err) {
      // A stop request may end a copy chunk by closing its connections: not a failure.
      if (!opts.signal?.aborted) await noteFailure(opts, err);
      throw err;
    } finally {
      await lock.release();
    }
    return result;
  } finally {
    if (!opts.provider) await provider.end().catch(() => undefined);
    if (!opts.subscriber) await subscriber.end().catch(() => undefined);
    if (!opts.lock) await lockDb.end().catch(() => undefined);
  }
}
