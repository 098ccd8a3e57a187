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

/**
 * The run lock of `key`, waiting for the run that holds it to end, until
 * `until` or `signal` (null then): for the commands that need no run in
 * flight (compare, repair, pause, change-provider, takeover). It waits in
 * the lock's queue, so a run starting meanwhile cannot take it first, and
 * the run going on sees it waiting (runLockWanted) and ends after its
 * batch: a consumer lingering from batch to batch under a steady load, or
 * runs following each other, would otherwise keep it for good. It waits a
 * second at a time, to look at the clock and the signal in between.
 */
export async function waitForRunLock(db: pg.ClientBase, key: string, until: number, signal?: AbortSignal): Promise<RunLock | null> {
  for (;;) {
    const ms = Math.min(1000, until - Date.now());
    if (ms <= 0 || signal?.aborted) return null;
    await db.query(`begin; set local idle_in_transaction_session_timeout = 0; set local lock_timeout = ${Math.ceil(ms)}`);
    try {
      await db.query(`select pg_advisory_xact_lock(hashtext('lambdiste.consumer'), hashtext($1))`, [key]);
    } catch (err) {
      await db.query('rollback').catch(() => undefined);
      // lock_not_available: lock_timeout ran out, the run is still going.
      if ((err as { code?: string }).code === '55P03') continue;
      throw err;
    }
    return { release: async () => void (await db.query('commit').catch(() => undefined)) };
  }
}

/** Whether a command waits for the run lock of `key` (waitForRunLock): the run holding it should end. */
export async function runLockWanted(db: pg.ClientBase, key: string): Promise<boolean> {
  const { rows } = await db.query(
    `select exists (select from pg_locks
       where locktype = 'advisory' and not granted and objsubid = 2
         and database = (select oid from pg_database where datname = current_database())
         and classid = hashtext('lambdiste.consumer')::oid and objid = hashtext($1)::oid) as wanted`,
    [key],
  );
  return rows[0].wanted === true;
}
