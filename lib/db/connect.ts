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
  // Replication's statements are many and short: compiling one costs more
  // (50 ms and up) than it saves, on servers where JIT is on by default.
  jit: 'off',
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
 * The same settings for one transaction (SET LOCAL), sent at the start of
 * every transaction that moves values (apply, copy): a connection pooler
 * in transaction mode (pgbouncer, RDS Proxy) takes no startup options and
 * hands each transaction to any server connection, so session settings
 * cannot be relied on there.
 */
export const SET_LOCAL_SETTINGS = Object.entries(SESSION_SETTINGS)
  .map(([k, v]) => `set local ${k} = ${k === 'search_path' ? v.replace(',', ', ') : `'${v}'`}`)
  .join('; ');

/**
 * pg settings for `url`: the settings go in the startup packet (no round
 * trip), after any options of the connection string or PGOPTIONS, so that
 * they win; not to a pooler, which refuses them.
 */
function config(url: string, opts: ConnectOptions, pooled: boolean): pg.ClientConfig {
  const cfg = clientConfig(url);
  const ours = opts.serverDefaults || pooled ? [] : Object.entries(SESSION_SETTINGS).map(([k, v]) => `-c ${k}=${v}`);
  const options = [pooled ? undefined : (cfg.options ?? process.env.PGOPTIONS), ...ours].filter(Boolean).join(' ');
  return { application_name: opts.applicationName ?? 'lambdiste', ...cfg, ...(options ? { options } : {}) };
}

/** URLs found to lead to a connection pooler (it refused the startup options). */
const poolerUrls = new Set<string>();
const pooledClients = new WeakSet<pg.ClientBase>();

/**
 * Whether `client` talks to a connection pooler in transaction mode: no
 * session state (LISTEN, session settings) outlives a transaction there.
 */
export function isPooled(client: pg.ClientBase): boolean {
  return pooledClients.has(client);
}

const refusedOptions = (err: unknown) => /unsupported startup parameter: options/i.test((err as Error)?.message ?? '');

/**
 * A connected client. Errors on an idle connection (the server went away)
 * are reported through `onError` instead of crashing the process. A
 * pooler that refuses the startup options (pgbouncer) is connected to
 * without them, and the client is marked pooled (isPooled).
 */
export async function connect(url: string, opts: ConnectOptions = {}): Promise<pg.Client> {
  for (;;) {
    const pooled = poolerUrls.has(url);
    const client = new pg.Client(config(url, opts, pooled));
    client.on('error', () => {
      /* the next query on this client fails with the real cause */
    });
    try {
      await client.connect();
      if (pooled) pooledClients.add(client);
      return client;
    } catch (err) {
      if (!pooled && refusedOptions(err)) {
        poolerUrls.add(url);
        continue;
      }
      throw new DatabaseUnreachableError(url, err);
    }
  }
}

/**
 * A pool whose idle clients may die without taking the process down.
 * Its clients are checked out with `pooledConnect`, which finds out, like
 * `connect`, whether the URL leads to a connection pooler.
 */
export function createPool(url: string, max = 4, opts: ConnectOptions = {}): pg.Pool {
  const pool = new pg.Pool({ max, ...config(url, opts, poolerUrls.has(url)) });
  pool.on('error', () => {
    /* an idle client was terminated; the pool replaces it */
  });
  return pool;
}

/**
 * A client of `pool` (made by createPool for `url`); when the server
 * refuses the startup options, `remake` gets a pool for the pooler.
 */
export async function pooledConnect(url: string, pool: pg.Pool, remake: () => pg.Pool): Promise<pg.PoolClient> {
  try {
    const client = await pool.connect();
    if (poolerUrls.has(url)) pooledClients.add(client);
    return client;
  } catch (err) {
    if (poolerUrls.has(url) || !refusedOptions(err)) throw err;
    poolerUrls.add(url);
    const client = await remake().connect();
    pooledClients.add(client);
    return client;
  }
}

/**
 * Runs `fn` in a transaction with the session settings (SET_LOCAL_SETTINGS),
 * through a pooler too; `begin` may name an isolation level.
 */
export async function inSettingsTransaction<T>(client: Db, fn: () => Promise<T>, begin = 'begin'): Promise<T> {
  return inTransaction(client, fn, `${begin}; ${SET_LOCAL_SETTINGS}`);
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
