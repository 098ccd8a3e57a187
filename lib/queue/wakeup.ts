import type pg from 'pg';
import { isPooled } from '../db/connect.ts';

/**
 * events: the capture triggers tell the root's ticker that events arrived;
 * tick: the ticker tells the consumers that it closed a batch; work: an
 * admin command tells a leaf's worker that its tables changed (add-table,
 * resync, ...).
 */
export type Channel = 'events' | 'tick' | 'work';

/**
 * Waits that end early when a notification comes: a daemon between
 * rounds sleeps until its queue tells it there is work (LISTEN/NOTIFY,
 * see lambdiste.queue_channel), or until the time it would have polled
 * anyway. A notification that came during a round ends the next wait at
 * once. Costs nothing while idle. Through a connection pooler in
 * transaction mode no LISTEN outlives its transaction: there it polls
 * every `pollMs` instead.
 */
export class Wakeup {
  /** Per channel kind, the connection listening to it. */
  private readonly clients = new Map<Channel, pg.Client>();
  /** A notification came that no wait has ended on yet. */
  private pending = false;
  private lastWaitNotified = false;
  private wake: (() => void) | null = null;
  private readonly onNotification = () => {
    this.pending = true;
    this.wake?.();
  };

  constructor(private readonly pollMs = 100) {}

  /** Some channel cannot be listened to (a pooler's connection): waits are cut to pollMs. */
  private get polling(): boolean {
    return [...this.clients.values()].some(isPooled);
  }

  /**
   * Listens on the `what` channel of `queue` (lambdiste.queue_channel) on
   * `client`. Called every round: after a reconnect, `client` is a new
   * connection and listens anew.
   */
  async listen(client: pg.Client, queue: string, what: Channel): Promise<void> {
    const before = this.clients.get(what);
    if (before === client) return;
    before?.off('notification', this.onNotification);
    this.clients.set(what, client);
    if (isPooled(client)) return;
    client.on('notification', this.onNotification);
    const { rows } = await client.query<{ c: string }>('select lambdiste.queue_channel($1, $2) as c', [queue, what]);
    await client.query(`listen "${rows[0]!.c}"`);
    // Whatever came while nobody listened: look once.
    this.pending = true;
  }

  /** Stops listening (a pooled connection goes back to its pool). */
  async close(): Promise<void> {
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const client of new Set(clients)) {
      client.off('notification', this.onNotification);
      if (!isPooled(client)) await client.query('unlisten *').catch(() => undefined);
    }
  }

  /**
   * Waits `ms`, less if a notification comes (or came since the last wait)
   * or `signal` aborts; resolves to whether a notification ended it.
   */
  async wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.polling) ms = Math.min(ms, this.pollMs);
    if (!this.pending && ms > 0 && !signal?.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          this.wake = null;
          resolve();
        };
        const timer = setTimeout(done, ms);
        signal?.addEventListener('abort', done, { once: true });
        this.wake = done;
      });
    }
    const notified = this.pending;
    this.pending = false;
    this.lastWaitNotified = notified;
    return notified;
  }

  /** Whether the last wait was ended by a notification. */
  get notified(): boolean {
    return this.lastWaitNotified;
  }
}
