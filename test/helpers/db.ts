import { inject, onTestFinished } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { connect } from '../../lib/db/connect.ts';

export type Server = 'provider' | 'subscriber';

function baseUrl(server: Server): string {
  return inject(server === 'provider' ? 'pgProvider' : 'pgSubscriber');
}

/** URL of another database on the same server as `url`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = '/' + database;
  return u.toString();
}

/**
 * Creates an empty database on the provider or subscriber server and
 * returns its URL. It is dropped when the test file's workers end only if
 * the caller asks; by default it is kept, which helps to inspect a failure.
 */
export async function createDatabase(server: Server, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`.toLowerCase();
  const admin = await connect(baseUrl(server), { serverDefaults: true });
  try {
    await admin.query(`create database ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  return withDatabase(baseUrl(server), name);
}

/** A client for `url` that is closed when the current test ends. */
export async function client(url: string): Promise<pg.Client> {
  const c = await connect(url, { applicationName: 'lambdiste-test', serverDefaults: true });
  onTestFinished(async () => {
    await c.end().catch(() => undefined);
  });
  return c;
}

/** A client that lives until `close` is called (for beforeAll/afterAll use). */
export async function longClient(url: string): Promise<pg.Client> {
  return connect(url, { applicationName: 'lambdiste-test', serverDefaults: true });
}
