import pg from 'pg';
import { clientConfig } from './connstr.ts';

export type Db = pg.ClientBase;

/**
 * A connected client. Errors on an idle connection (the server went away)
 * are reported through `onError` instead of crashing the process.
 */
export async function connect(url: string, applicationName = 'lambdiste'): Promise<pg.Client> {
  const client = new pg.Client({ application_name: applicationName, ...clientConfig(url) });
  client.on('error', () => {
    /* the next query on this client fails with the real cause */
  });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseUnreachableError(url, err);
  }
  return client;
}

/** A pool whose idle clients may die without taking the process down. */
export function createPool(url: string, max = 4, applicationName = 'lambdiste'): pg.Pool {
  const pool = new pg.Pool({ max, application_name: applicationName, ...clientConfig(url) });
  pool.on('error', () => {
    /* an idle client was terminated; the pool replaces it */
  });
  return pool;
}

/** Runs `fn` in a transaction on `client`; rolls back and rethrows on error. */
export async function inTransaction<T>(client: Db, fn: () => Promise<T>, begin = 'begin'): Promise<T> {
  await client.query(begin);
  try {
    const result = await fn();
    await client.query('commit');
    return result;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  }
}

/** The connection string without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/password\s*=\s*('[^']*'|\S+)/gi, 'password=***');
  }
}

export class DatabaseUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot connect to ${redactUrl(url)}: ${why}`, { cause });
    this.name = 'DatabaseUnreachableError';
  }
}
