import type pg from 'pg';

/**
 * One consumer run at a time per subscriber and consumer. The lock is an
 * advisory lock held by a transaction, on a connection of its own, for the
 * whole run: it goes with the transaction, so it is released when the run
 * ends, when its process dies, and through a connection pooler in
 * transaction mode too, where a session-level lock could be left behind
 * on a server connection the run no longer has.
 */
export interface RunLock {
  release(): Promise<void>;
}

/** The run lock of `key`, or null when another run holds it. */
export async function takeRunLock(db: pg.ClientBase, key: string): Promise<RunLock | null> {
  // Idle in its transaction for the whole run, by design.
  await db.query('begin; set local idle_in_transaction_session_timeout = 0');
  try {
    const { rows } = await db.query(
      `select pg_try_advisory_xact_lock(hashtext('lambdiste.consumer'), hashtext($1)) as got`, [key]);
    if (!rows[0].got) {
      await db.query('rollback');
      return null;
    }
  } catch (err) {
    await db.query('rollback').catch(() => undefined);
    throw err;
  }
  return { release: async () => void (await db.query('commit').catch(() => undefined)) };
}
