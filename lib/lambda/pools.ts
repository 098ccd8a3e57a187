import pg from 'pg';
import { createPool, pooledConnect } from '../db/connect.ts';

/**
 * Connection pools by URL, kept for the life of the process: a warm Lambda
 * container reuses its connections across invocations, and in-process runs
 * (tests, the local runtime) give concurrent invocations their own clients.
 */
const pools = new Map<string, pg.Pool>();

export function poolFor(url: string): pg.Pool {
  let p = pools.get(url);
  if (!p) {
    p = createPool(url, 4);
    pools.set(url, p);
  }
  return p;
}

/** Runs `fn` with a dedicated client from the URL's pool; a client that saw an error is discarded, not reused. */
export async function withPooledClient<T>(url: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pooledConnect(url, poolFor(url), () => {
    // The URL leads to a connection pooler: a pool made for it replaces this one.
    void pools.get(url)?.end().catch(() => undefined);
    pools.delete(url);
    return poolFor(url);
  });
  let broken: Error | undefined;
  // pg-pool listens for a client's errors only while it is idle in the pool:
  // a checked-out client whose connection is cut while no query runs (a
  // LISTEN connection waiting, a server restarting) emits 'error' with
  // nobody listening, which ends the process. Its next query fails anyway.
  const onError = (err: Error) => {
    broken ??= err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } catch (err) {
    // After a failure the session may hold an open transaction or a lock:
    // cheaper to reconnect than to prove it clean.
    broken ??= err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Closes every pool (end of tests or of a local run). */
export async function closePools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => undefined)));
}
