import type pg from 'pg';
import { connect as netConnect } from 'node:net';

/** The CancelRequest message's code (protocol 3). */
const CANCEL_REQUEST_CODE = 80877102;

/**
 * Asks the server to cancel the statement `client` is running, the way
 * psql's Ctrl-C does: a CancelRequest, with the backend's key, on a
 * connection of its own. Poolers (pgbouncer) pass such requests on to the
 * right server. Resolves once the request is sent (or could not be); the
 * statement then fails with query_canceled (57014), unless it had ended.
 */
export function cancelQuery(client: pg.ClientBase): Promise<void> {
  const c = client as unknown as { host: string; port: number; processID: number | null; secretKey: number | null };
  if (c.processID === null || c.secretKey === null) return Promise.resolve();
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(c.processID, 8);
  message.writeInt32BE(c.secretKey, 12);
  return new Promise((resolve) => {
    const socket = c.host.startsWith('/') ? netConnect(`${c.host}/.s.PGSQL.${c.port}`) : netConnect(c.port, c.host);
    const done = () => {
      socket.destroy();
      resolve();
    };
    socket.setTimeout(5000, done);
    socket.on('error', done);
    // The server reads the request and closes the connection.
    socket.on('close', done);
    socket.on('connect', () => socket.end(message));
  });
}
