import type pg from 'pg';
import { client, createDatabase } from './db.ts';
import { queueDb } from './queue.ts';

/**
 * The real PgQ extension, where the provider server has it (Debian's
 * postgresql-NN-pgq3): a fresh database with `create extension pgq`, or
 * null. Tests run every scenario on Lambdiste's queue, and compare it with
 * this one when there is one.
 */
export async function referencePgq(prefix: string, probe: pg.ClientBase): Promise<{ url: string; db: pg.Client } | null> {
  const { rows } = await probe.query(`select 1 from pg_available_extensions where name = 'pgq'`);
  if (rows.length === 0) return null;
  const url = await createDatabase('provider', `${prefix}_ref`);
  const db = await client(url);
  await db.query('create extension pgq');
  return { url, db };
}

/** Both queues of a comparison: Lambdiste's always, the real PgQ when there is one. */
export async function queuePair(prefix: string): Promise<{ ours: pg.Client; ref: pg.Client | null; oursUrl: string; refUrl: string | null }> {
  const { url, db } = await queueDb(prefix);
  const ref = await referencePgq(prefix, db);
  return { ours: db, ref: ref?.db ?? null, oursUrl: url, refUrl: ref?.url ?? null };
}

/** What one statement did, as text: its rows (values as the server printed them), or its error; and its notices. */
export interface Outcome {
  sql: string;
  rows?: (string | null)[][];
  error?: string;
  notices: string[];
}

const raw = { getTypeParser: () => (v: string) => v };

/**
 * Runs statements one by one on `db` (each in its own transaction unless
 * they open one) and records what each did. Errors are recorded, not
 * thrown, so that two servers' transcripts compare as a whole.
 */
export async function transcript(db: pg.ClientBase, statements: string[]): Promise<Outcome[]> {
  const notices: string[] = [];
  const onNotice = (n: { severity?: string; message?: string }) => notices.push(`${n.severity}: ${n.message}`);
  db.on('notice', onNotice);
  const out: Outcome[] = [];
  try {
    for (const sql of statements) {
      notices.length = 0;
      try {
        const r = await db.query({ text: sql, rowMode: 'array', types: raw } as pg.QueryArrayConfig);
        const results = Array.isArray(r) ? r : [r];
        out.push({ sql, rows: results.flatMap((x) => (x.rows ?? []) as (string | null)[][]), notices: [...notices] });
      } catch (err) {
        out.push({ sql, error: (err as Error).message, notices: [...notices] });
      }
    }
  } finally {
    db.removeListener('notice', onNotice);
  }
  return out;
}

/** One value of a statement's only row. */
export async function value(db: pg.ClientBase, sql: string, params: unknown[] = []): Promise<string | null> {
  const r = await db.query({ text: sql, values: params, rowMode: 'array', types: raw } as pg.QueryArrayConfig);
  return (r.rows[0]?.[0] ?? null) as string | null;
}
