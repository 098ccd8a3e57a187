import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { randomBytes } from 'node:crypto';
import { connect } from '../../lib/db/connect.ts';
import { startLocalCluster } from '../../lib/db/embedded.ts';
import { install } from '../../lib/install.ts';
import { client, createDatabase, withDatabase } from '../helpers/db.ts';
import { queuePair, value } from '../helpers/pgq-ref.ts';

/** Grants on the schema's functions and tables, to anyone but the owner, as text. */
const ACLS = `
  select 'function ' || p.oid::regprocedure::text || ': ' || coalesce((
           select string_agg(g, ', ' order by g)
             from aclexplode(p.proacl) a, lateral (select case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end
                                                              || ' ' || a.privilege_type as g) x
            where a.grantee <> p.proowner), '-') as acl
    from pg_proc p where p.pronamespace = 'pgq'::regnamespace and p.proname !~ '^_|^require_read_committed$'
  union all
  select 'table ' || c.relname || ': ' || coalesce((
           select string_agg(g, ', ' order by g)
             from aclexplode(c.relacl) a, lateral (select case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end
                                                              || ' ' || a.privilege_type as g) x
            where a.grantee <> c.relowner), '-')
    from pg_class c where c.relnamespace = 'pgq'::regnamespace and c.relkind in ('r', 'p', 'S')
     and c.relname not in ('lambdiste_migration', 'queue_queue_id_seq', 'consumer_co_id_seq', 'subscription_sub_id_seq', 'batch_id_seq')
  order by 1`;

/** A login role of the server behind `url`, member of `memberOf`; dropped when the test ends. */
async function loginRole(admin: pg.ClientBase, url: string, memberOf: string | null): Promise<{ name: string; url: string }> {
  const name = `pgqt_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(8).toString('hex');
  await admin.query(`create role ${name} login password '${password}'${memberOf ? ` in role ${memberOf}` : ''}`);
  const u = new URL(url);
  u.username = name;
  u.password = password;
  return { name, url: u.toString() };
}

/** What each statement does for a role: 'ok' or its error. */
async function attempts(url: string, statements: string[]): Promise<string[]> {
  const db = await connect(url, { serverDefaults: true });
  try {
    const out: string[] = [];
    for (const sql of statements) {
      out.push(await db.query(sql).then(() => 'ok', (e: Error) => e.message));
    }
    return out;
  } finally {
    await db.end();
  }
}

describe('roles and grants', () => {
  it('gives pgq_reader, pgq_writer and pgq_admin PgQ\'s grants, and nothing to anyone else', async () => {
    const { ours, ref, oursUrl, refUrl } = await queuePair('roles');
    const mine = (await ours.query(ACLS)).rows.map((r) => r.acl as string);
    if (ref) expect(mine).toEqual((await ref.query(ACLS)).rows.map((r) => r.acl));
    expect(mine).toContain('function pgq.insert_event(text,text,text): pgq_writer EXECUTE');
    expect(mine).toContain('function pgq.next_batch(text,text): pgq_reader EXECUTE');
    expect(mine).toContain('function pgq.create_queue(text): pgq_admin EXECUTE');
    expect(mine).toContain('function pgq.get_queue_info(): PUBLIC EXECUTE');
    expect(mine).toContain('table event_template: pgq_admin INSERT, pgq_admin SELECT, pgq_admin TRUNCATE, pgq_reader SELECT');
    expect(await value(ours, `select string_agg(r.rolname, ',' order by r.rolname) from pg_auth_members m
                                join pg_roles r on r.oid = m.roleid join pg_roles a on a.oid = m.member
                               where a.rolname = 'pgq_admin'`)).toBe('pgq_reader,pgq_writer');

    // Each role does its part, on both queues, with the same outcome.
    const run = async (db: pg.ClientBase, url: string) => {
      const roles = Object.fromEntries(await Promise.all(
        (['pgq_admin', 'pgq_writer', 'pgq_reader', null] as const).map(async (r) => [r ?? 'none', await loginRole(db, url, r)] as const)));
      await db.query(`create table public.orders (id int primary key, item text)`);
      await db.query(`create trigger orders_q after insert or update or delete on public.orders
                      for each row execute procedure pgq.logutriga('q')`);
      await db.query(`grant insert, update on public.orders to ${roles.pgq_writer!.name}, ${roles.none!.name}`);
      const seen = {
        admin: await attempts(roles.pgq_admin!.url, [
          "select pgq.create_queue('q')", "select pgq.ticker('q')", 'select * from pgq.maint_operations()',
          "select pgq.set_queue_config('q', 'ticker_max_lag', '0')"]),
        writer: await attempts(roles.pgq_writer!.url, [
          "select pgq.create_queue('x')", "select pgq.insert_event('q', 't', 'd')", "insert into public.orders values (1, 'tea')",
          "select pgq.register_consumer('q', 'w')", 'select count(*) from pgq.event_template', "select pgq.current_event_table('q')"]),
        reader: await attempts(roles.pgq_reader!.url, [
          "select pgq.insert_event('q', 't', 'd')", "select pgq.register_consumer('q', 'r')", "select pgq.force_tick('q')",
          "select pgq.next_batch('q', 'r')", 'select count(*) from pgq.event_template', "select pgq.ticker('q')"]),
        none: await attempts(roles.none!.url, [
          "select pgq.insert_event('q', 't', 'd')", "insert into public.orders values (2, 'milk')", "select pgq.next_batch('q', 'r')",
          'select count(*) from pgq.get_queue_info()', 'select count(*) from pgq.queue', 'select count(*) from pgq.event_template',
          'select count(*) from pgq.retry_queue']),
      };
      await db.query(`drop table public.orders`);
      for (const r of Object.values(roles)) await db.query(`drop role ${r.name}`);
      return seen;
    };
    const seen = await run(ours, oursUrl);
    if (ref) expect(seen).toEqual(await run(ref, refUrl!));
    expect(seen).toEqual({
      admin: ['ok', 'ok', 'ok', 'ok'],
      writer: ['permission denied for function create_queue', 'ok', 'ok', 'permission denied for function register_consumer',
        'permission denied for table event_template', 'ok'],
      reader: ['permission denied for function insert_event', 'ok', 'ok', 'ok', 'ok', 'permission denied for function ticker'],
      none: ['permission denied for function insert_event', 'permission denied for function insert_event',
        'permission denied for function next_batch', 'ok', 'ok', 'permission denied for table event_template',
        'permission denied for table retry_queue'],
    });
  });

  it('where the installer may not create roles: says so, keeps the queue to its owner, and grants once a DBA has made the roles', async () => {
    // Its own server, for roles of its own: PgQ's roles are the whole server's.
    const cluster = await startLocalCluster(`roles-${process.pid}-${randomBytes(3).toString('hex')}`);
    try {
      const admin = await connect(cluster.url, { serverDefaults: true });
      try {
        const owner = await loginRole(admin, cluster.url, null);
        await admin.query(`create database owned owner ${owner.name}`);
        const consumer = await loginRole(admin, cluster.url, null);
        const db = await connect(withDatabase(owner.url, 'owned'), { serverDefaults: true });
        const notices: string[] = [];
        db.on('notice', (n) => notices.push(n.message ?? ''));
        try {
          await install(db, { queueOnly: true });
          expect(notices.filter((n) => n.startsWith('Role pgq_'))).toEqual(['pgq_reader', 'pgq_writer', 'pgq_admin'].map((r) =>
            `Role ${r} is missing and ${owner.name} may not create roles: see "PgQ compatibility" in Lambdiste's README for the grants to run by hand`));
          await db.query(`select pgq.create_queue('q')`);
          const asConsumer = withDatabase(consumer.url, 'owned');
          expect(await attempts(asConsumer, ["select pgq.register_consumer('q', 'c')", "select count(*) from pgq.get_queue_info()"]))
            .toEqual(['permission denied for function register_consumer', 'ok']);
          // The DBA, as README.md says.
          await admin.query('create role pgq_reader; create role pgq_writer; create role pgq_admin in role pgq_reader, pgq_writer');
          await admin.query(`grant pgq_reader to ${consumer.name}`);
          await db.query('select pgq.upgrade_schema()');
          expect(await attempts(asConsumer, ["select pgq.register_consumer('q', 'c')", "select pgq.next_batch('q', 'c')",
            "select pgq.insert_event('q', 't', 'd')"]))
            .toEqual(['ok', 'ok', 'permission denied for function insert_event']);
        } finally {
          await db.end();
        }
      } finally {
        await admin.end();
      }
    } finally {
      await cluster.stop();
    }
  });
});
