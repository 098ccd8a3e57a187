import type { Db } from './db/connect.ts';
import type { SqlBundle } from './sql/bundle.ts';
import { lambdisteSql, pgqSql } from './sql/generated.ts';

/** What an install found and did for one schema. */
export interface InstallResult {
  schema: string;
  /**
   * `installed`: Lambdiste's SQL is in place (migrations applied, functions re-applied);
   * `extension`: the real PgQ extension is there and is used as is;
   * `foreign`: a PgQ not installed by Lambdiste is there and is used as is.
   */
  mode: 'installed' | 'extension' | 'foreign';
  /** Migration ids applied by this call. */
  applied: number[];
}

export class SchemaTooNewError extends Error {
  constructor(schema: string, found: number, known: number) {
    super(
      `Schema ${schema} in this database is at migration ${found}, newer than this Lambdiste knows (${known}). ` +
        'Upgrade Lambdiste before running it against this database.',
    );
    this.name = 'SchemaTooNewError';
  }
}

// One lock for every installer of every schema: installs are rare and short.
const INSTALL_LOCK = "select pg_advisory_xact_lock(hashtext('lambdiste.install'))";

async function detectForeignPgq(db: Db): Promise<InstallResult['mode'] | null> {
  const { rows } = await db.query<{ ext: boolean; schema: boolean; ours: boolean }>(`
    select exists (select 1 from pg_extension where extname = 'pgq') as ext,
           to_regnamespace('pgq') is not null as schema,
           to_regclass('pgq.lambdiste_migration') is not null as ours`);
  const r = rows[0]!;
  if (r.ext) return 'extension';
  if (r.schema && !r.ours) return 'foreign';
  return null;
}

/**
 * Installs or upgrades one schema in the caller's open transaction: new
 * numbered migrations first (tables), then every function again.
 */
async function applyBundle(db: Db, bundle: SqlBundle): Promise<number[]> {
  const s = bundle.schema;
  await db.query(`create schema if not exists ${s}`);
  await db.query(`create table if not exists ${s}.lambdiste_migration (
      mig_id integer primary key, mig_name text not null, mig_applied timestamptz not null default now())`);
  const { rows } = await db.query<{ mig_id: number }>(`select mig_id from ${s}.lambdiste_migration`);
  const done = new Set(rows.map((r) => r.mig_id));
  const known = Math.max(0, ...bundle.migrations.map((m) => m.id));
  const newest = Math.max(0, ...done);
  if (newest > known) throw new SchemaTooNewError(s, newest, known);

  const applied: number[] = [];
  for (const m of bundle.migrations) {
    if (done.has(m.id)) continue;
    await db.query(m.sql);
    await db.query(`insert into ${s}.lambdiste_migration (mig_id, mig_name) values ($1, $2)`, [m.id, m.name]);
    applied.push(m.id);
  }
  // Bodies may call functions defined by later files.
  await db.query('set local check_function_bodies = off');
  for (const f of bundle.functions) await db.query(f.sql);
  // PgQ's roles (where this user may create them) and grants, on every
  // function as it now is.
  if (bundle.functions.some((f) => f.name === 'pgq.upgrade_schema')) await db.query('select pgq.upgrade_schema()');
  return applied;
}

/**
 * Installs the queue (schema `pgq`) and, unless `queueOnly`, the replication
 * schema (`lambdiste`), in one transaction. Safe to run again (upgrades in
 * place) and safe against concurrent installers (they wait for each other).
 * A real PgQ already in the database is left alone and used.
 */
export async function install(db: Db, options: { queueOnly?: boolean } = {}): Promise<InstallResult[]> {
  const results: InstallResult[] = [];
  await db.query('begin');
  try {
    await db.query(INSTALL_LOCK);
    const foreign = await detectForeignPgq(db);
    if (foreign) results.push({ schema: 'pgq', mode: foreign, applied: [] });
    else results.push({ schema: 'pgq', mode: 'installed', applied: await applyBundle(db, pgqSql) });
    if (!options.queueOnly) {
      results.push({ schema: 'lambdiste', mode: 'installed', applied: await applyBundle(db, lambdisteSql) });
      // The tables a root captures get this version's capture functions.
      await db.query('select lambdiste.refresh_capture_functions()');
    }
    await db.query('commit');
  } catch (err) {
    await db.query('rollback').catch(() => undefined);
    throw err;
  }
  return results;
}

/** Installs exactly the given bundles (used by upgrade tests to install an older version). */
export async function installBundles(db: Db, bundles: SqlBundle[]): Promise<void> {
  await db.query('begin');
  try {
    await db.query(INSTALL_LOCK);
    for (const b of bundles) await applyBundle(db, b);
    await db.query('commit');
  } catch (err) {
    await db.query('rollback').catch(() => undefined);
    throw err;
  }
}
