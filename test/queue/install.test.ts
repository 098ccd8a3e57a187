import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { install, installBundles } from '../../lib/install.ts';
import { pgqSql, lambdisteSql } from '../../lib/sql/generated.ts';
import { connect } from '../../lib/db/connect.ts';
import { client, createDatabase, withDatabase } from '../helpers/db.ts';

const functionCount = async (db: pg.ClientBase, schema: string) =>
  Number((await db.query(`select count(*) as n from pg_proc where pronamespace = $1::regnamespace`, [schema])).rows[0].n);

describe('install', () => {
  it('installs the queue and replication schemas into an empty database', async () => {
    const db = await client(await createDatabase('provider', 'install'));
    const res = await install(db);
    expect(res.map((r) => [r.schema, r.mode])).toEqual([['pgq', 'installed'], ['lambdiste', 'installed']]);
    expect(res[0]!.applied).toEqual(pgqSql.migrations.map((m) => m.id));
    const { rows } = await db.query('select pgq.version() as v');
    expect(rows[0].v).toMatch(/^3\.5\.0\+lambdiste\./);
  });

  it('re-installs over itself without change', async () => {
    const db = await client(await createDatabase('provider', 'reinstall'));
    await install(db);
    await db.query(`select pgq.create_queue('q')`);
    const n = await functionCount(db, 'pgq');
    const res = await install(db);
    expect(res.every((r) => r.applied.length === 0)).toBe(true);
    expect(await functionCount(db, 'pgq')).toBe(n);
    expect((await db.query(`select count(*)::int as n from pgq.queue`)).rows[0].n).toBe(1);
  });

  it('upgrades an older schema version: new migrations run, functions are re-applied', async () => {
    const db = await client(await createDatabase('provider', 'upgrade'));
    // An "older release": the first migration only, and one function missing.
    const older = (b: typeof pgqSql) => ({
      ...b,
      migrations: b.migrations.slice(0, 1),
      functions: b.functions.filter((f) => f.name !== 'pgq.get_queue_info'),
    });
    await installBundles(db, [older(pgqSql), older(lambdisteSql)]);
    await db.query(`select pgq.create_queue('q')`);
    await expect(db.query('select * from pgq.get_queue_info()')).rejects.toThrow();
    await install(db);
    expect((await db.query('select queue_name from pgq.get_queue_info()')).rows).toEqual([{ queue_name: 'q' }]);
    const { rows } = await db.query('select mig_id from pgq.lambdiste_migration order by mig_id');
    expect(rows.map((r) => r.mig_id)).toEqual(pgqSql.migrations.map((m) => m.id));
  });

  it('refuses a database whose schema is newer than this code', async () => {
    const db = await client(await createDatabase('provider', 'newer'));
    await install(db);
    await db.query(`insert into pgq.lambdiste_migration (mig_id, mig_name) values (9999, 'from the future')`);
    await expect(install(db)).rejects.toThrow(/at migration 9999, newer than this Lambdiste knows/);
  });

  it('installs as a non-superuser that owns the database', async () => {
    const adminUrl = await createDatabase('provider', 'owner_admin');
    const admin = await client(adminUrl);
    const role = `owner_${randomBytes(3).toString('hex')}`;
    const password = randomBytes(8).toString('hex');
    await admin.query(`create role ${role} login password '${password}'`);
    const dbName = `owned_${randomBytes(3).toString('hex')}`;
    await admin.query(`create database ${dbName} owner ${role}`);
    const u = new URL(withDatabase(adminUrl, dbName));
    u.username = role;
    u.password = password;
    const db = await connect(u.toString());
    try {
      const { rows } = await db.query('select rolsuper from pg_roles where rolname = current_user');
      expect(rows[0].rolsuper).toBe(false);
      await install(db);
      await db.query(`select pgq.create_queue('q'), pgq.register_consumer('q', 'c')`);
      await db.query(`select pgq.insert_event('q', 't', 'd')`);
      expect(Number((await db.query(`select pgq.force_tick('q'), pgq.ticker('q') as t`)).rows[0].t)).toBeGreaterThan(0);
    } finally {
      await db.end();
    }
  });

  it('survives several installers at once', async () => {
    const url = await createDatabase('provider', 'parallel');
    const dbs = await Promise.all([1, 2, 3, 4].map(() => client(url)));
    const results = await Promise.all(dbs.map((db) => install(db)));
    const applied = results.flatMap((r) => r[0]!.applied);
    expect(applied).toEqual(pgqSql.migrations.map((m) => m.id)); // each migration applied exactly once
    expect((await dbs[0]!.query('select pgq.create_queue($1) as r', ['q'])).rows[0].r).toBe(1);
  });

  it('leaves a PgQ it did not install alone, and uses it', async () => {
    const db = await client(await createDatabase('provider', 'foreign'));
    await db.query(`create schema pgq; create function pgq.version() returns text language sql as $$ select '3.5' $$`);
    const res = await install(db);
    expect(res[0]).toEqual({ schema: 'pgq', mode: 'foreign', applied: [] });
    expect((await db.query('select pgq.version() as v')).rows[0].v).toBe('3.5');
    expect(await db.query(`select to_regclass('pgq.queue') as t`).then((r) => r.rows[0].t)).toBeNull();
  });
});
