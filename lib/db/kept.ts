import type pg from 'pg';

/**
 * A daemon's connections, one per database, kept from round to round (a
 * worker polling every 0.2 s should not reconnect each time) and all
 * dropped after a failed round: a session that saw an error may hold an
 * open transaction or a lock, and reconnecting is cheaper than proving it
 * clean. The next round opens fresh ones.
 */
export class KeptConnections {
  private readonly clients = new Map<string, Promise<pg.Client>>();
  /** Per connection, the first error the server sent while it was idle (the real cause of its loss). */
  private readonly lost = new Map<pg.Client, Error>();

  constructor(private readonly open: (url: string) => Promise<pg.Client>) {}

  /** The connection to `url` (one per `use` of it), opened on first use. */
  get(url: string, use = ''): Promise<pg.Client> {
    const key = `${use}\u0000${url}`;
    const kept = this.clients.get(key);
    if (kept) return kept;
    const opening = this.open(url).then((client) => {
      // Added once per connection, not per round.
      client.on('error', (err) => {
        if (!this.lost.has(client)) this.lost.set(client, err);
      });
      return client;
    });
    // A failed connect is reported by the round that awaited it; the next round tries again.
    opening.catch(() => {
      if (this.clients.get(key) === opening) this.clients.delete(key);
    });
    this.clients.set(key, opening);
    return opening;
  }

  /**
   * After a failed round: closes every connection and returns the error to
   * report. A query on a connection the server closed while it was idle
   * fails only with "Client has encountered a connection error and is not
   * queryable" (no SQLSTATE); the server's own message, such as
   * "terminating connection due to administrator command", says why.
   */
  async reset(err: unknown): Promise<unknown> {
    const lost = [...this.lost.values()][0];
    await this.close();
    return lost && !hasCode(err) ? lost : err;
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    this.lost.clear();
    await Promise.all(all.map((c) => c.then((client) => client.end()).catch(() => undefined)));
  }
}

/** Whether the error, or one it wraps, carries a code (a SQLSTATE, or a system error code such as ECONNREFUSED). */
function hasCode(err: unknown): boolean {
  let e = err as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 10; depth++, e = e.cause as typeof e) {
    if (typeof e.code === 'string') return true;
  }
  return false;
}
