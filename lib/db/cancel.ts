import pg from 'pg';

/**
 * Asks the server to cancel the statement `client` is running (`query`,
 * its active query), the way psql's Ctrl-C does: a cancel request on a
 * connection of its own, with the backend's key. Poolers (pgbouncer)
 * pass such requests on to the right server. Resolves once the request is
 * sent; the statement then fails with query_canceled (57014), unless it
 * had ended already.
 */
export function cancelQuery(client: pg.ClientBase, query: unknown): Promise<void> {
  const c = client as unknown as { host: string; port: number };
  const canceller = new pg.Client({ host: c.host, port: c.port });
  const con = (canceller as unknown as { connection: import('node:events').EventEmitter }).connection;
  return new Promise((resolve) => {
    const done = () => resolve();
    con.on('error', done);
    con.on('end', done);
    setTimeout(done, 5000).unref();
    (canceller as unknown as { cancel(client: unknown, query: unknown): void }).cancel(client, query);
  });
}
