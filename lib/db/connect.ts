import pg from 'pg';
import { clientConfig } from './connstr.ts';

export type Db = pg.ClientBase;

/**
 * The settings of every Lambdiste session, whatever the server's, the
 * database's or the role's defaults. Values cross from one server to the
 * other as text (COPY, json) and must read back as the very same value:
 * floats in full, dates and intervals in one style, money in one locale.
 * And names resolve in pg_catalog alone (temporary tables aside): nothing
 * put first in a search_path stands in for a function or an operator
 * replication uses, and every other name Lambdiste sends is qualified.
 */
export const SESSION_SETTINGS: Readonly<Record<string, string>> = {
  search_path: 'pg_catalog,pg_temp',
  DateStyle: 'ISO,YMD',
  IntervalStyle: 'postgres',
  extra_float_digits: '3',
  bytea_output: 'hex',
  lc_monetary: 'C',
  standard_conforming_strings: 'on',
};

export interface ConnectOptions {
  applicationName?: string;
  /**
   * The server's own defaults instead of SESSION_SETTINGS: for SQL that
   * stands for the application's (the demo's load, tests' setup), which
   * names its tables unqualified.
   */
  serverDefaults?: boolean;
}

/**
 * pg settings for `url`: the settings go in the startup packet (no round
 * trip), after any options of the connection string or PGOPTIONS, so that
 * they win.
 */
function config(url: string, opts: ConnectOptions): pg.ClientConfig {
  const cfg = clientConfig(url);
  const ours = opts.serverDefaults ? [] : Object.entries(SESSION_SETTINGS).map(([k, v]) => `-c ${k}=${v}`);
  const options = [cfg.options ?? process.env.PGOPTIONS, ...ours].filter(Boolean).join(' ');
  return { application_name: opts.applicationName ?? 'lambdiste', ...cfg, ...(options ? { options } : {}) };
}

/**
 * A connected client. Errors on an idle connection (the server went away)
 * are reported through `onError` instead of crashing the process.
 */
export async function connect(url: string, opts: ConnectOptions = {}): Promise<pg.Client> {
  const client = new pg.Client(config(url, opts));
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
export function createPool(url: string, max = 4, opts: ConnectOptions = {}): pg.Pool {
  const pool = new pg.Pool({ max, ...config(url, opts) });
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
