/**
 * The Lambda handlers' pooled connections when the server cuts one while
 * it is checked out and idle (a LISTEN connection waiting for a tick, a
 * server restarting): found by the fault harness (bench/faults), where
 * the ticker and consumer functions died of an unhandled 'error' event.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { closePools, withPooledClient } from '../../lib/lambda/pools.ts';
import { createDatabase } from '../helpers/db.ts';
import { sql } from '../helpers/nodes.ts';

afterAll(async () => {
  await closePools();
});

describe('pooled clients', () => {
  it('survive their connection being cut while checked out and idle; the next checkout gets a new one', async () => {
    const url = await createDatabase('provider', 'pool_cut');
    const first = await withPooledClient(url, async (db) => {
      const { rows } = await db.query('select pg_backend_pid() as pid');
      const ended = new Promise((resolve) => db.once('end', resolve));
      await sql(url, 'select pg_terminate_backend($1)', [rows[0].pid]);
      // The server closed it while no query ran: an 'error' event nobody else listens to.
      await ended;
      return rows[0].pid as number;
    });
    const second = await withPooledClient(url, async (db) => (await db.query('select pg_backend_pid() as pid')).rows[0].pid as number);
    expect(second).not.toBe(first);
  });
});
