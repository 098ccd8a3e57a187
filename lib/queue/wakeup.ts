import type pg from 'pg';
import { isPooled } from '../db/connect.ts';

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
  private polling = false;
  private client: pg.Client | null = null;
  private notified = false;
  private wake: (() => void) | null = null;
  private readonly onNotification = () => {
    this.notified = true;
    this.wake?.();
  };

  constructor(private readonly pollMs = 100) {}

  /**
   * Listens on the channels of `queue` (`what`: 'events' or 'tick') on
   * `client`. Called every round: after a reconnect, `client` is a new
   * connection and listens anew.
   */
  async listen(client: pg.Client, queue: string, what: 'events' | 'tick'): Promise<void> {
    if (this.client === client) return;
    this.client?.off('notification', this.onNotification);
    this.client = client;
    this.polling = isPooled(client);
    if (this.polling) return;
    client.on('notification', this.onNotification);
    const { rows } = await client.query<{ c: string }>('select lambdiste.queue_channel($1, $2) as c', [queue, what]);
    await client.query(`listen "${rows[0]!.c}"`);
    // Whatever came while nobody listened: look once.
    this.notified = true;
  }

  /** Stops listening (a pooled connection goes back to its pool). */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (!client) return;
    client.off('notification', this.onNotification);
    if (!this.polling) await client.query('unlisten *').catch(() => undefined);
  }

  /** Waits `ms`, less if a notification comes (or came since the last wait) or `signal` aborts. */
  async wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (this.polling) ms = Math.min(ms, this.pollMs);
    if (!this.notified && ms > 0 && !signal?.aborted) {
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
    this.notified = false;
  }
}
