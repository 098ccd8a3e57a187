import type pg from 'pg';

/** The seed's schema: four tables of schema digoal_01 (the log tables with serial8 keys, as the seed ends up). */
export const demoSchema = `
  create schema if not exists digoal_01;
  create table if not exists digoal_01.user_info (
    userid int primary key, engname text, cnname text, occupation text, birthday date,
    signname text, email text, qq numeric, crt_time timestamptz, mod_time timestamptz);
  create table if not exists digoal_01.user_session (
    userid int primary key, logintime timestamptz, login_count bigint, logouttime timestamptz,
    online_interval interval);
  create table if not exists digoal_01.user_login_rec (
    userid int, login_time timestamptz, ip inet, id bigserial primary key);
  create table if not exists digoal_01.user_logout_rec (
    userid int, logout_time timestamptz, ip inet, id bigserial primary key);
`;

export const demoTables = ['digoal_01.user_info', 'digoal_01.user_session', 'digoal_01.user_login_rec', 'digoal_01.user_logout_rec'];
export const demoSequences = ['digoal_01.user_login_rec_id_seq', 'digoal_01.user_logout_rec_id_seq'];

/** Initial rows on the provider, so the subscribers have something to copy. */
export async function seedRows(db: pg.ClientBase, users: number): Promise<void> {
  await db.query(
    `insert into digoal_01.user_info
     select g, 'user' || g, '用户' || g, 'dba', date '1980-01-01' + g % 10000, 'sign ''' || g || '''',
            g || '@example.org', g * 7, now(), null
       from generate_series(1, $1::int) g
     on conflict do nothing`,
    [users],
  );
}

/**
 * One transaction of the seed's kind of traffic: a user logs in (session
 * upsert and a login record), or logs out, or edits their profile, or an
 * old record is purged. Returns the kind done.
 */
export async function oneTransaction(db: pg.ClientBase, users: number): Promise<string> {
  const userid = 1 + Math.floor(Math.random() * users);
  const dice = Math.random();
  if (dice < 0.5) {
    await db.query(
      `with s as (insert into digoal_01.user_session (userid, logintime, login_count)
                  values ($1, now(), 1)
                  on conflict (userid) do update set logintime = now(), login_count = digoal_01.user_session.login_count + 1)
       insert into digoal_01.user_login_rec (userid, login_time, ip) values ($1, now(), ('192.168.1.' || ($1::int % 250))::inet)`,
      [userid],
    );
    return 'login';
  }
  if (dice < 0.8) {
    await db.query(
      `with s as (update digoal_01.user_session set logouttime = now(), online_interval = now() - logintime where userid = $1)
       insert into digoal_01.user_logout_rec (userid, logout_time, ip) values ($1, now(), ('192.168.1.' || ($1::int % 250))::inet)`,
      [userid],
    );
    return 'logout';
  }
  if (dice < 0.97) {
    await db.query(`update digoal_01.user_info set signname = 'sign ' || md5(random()::text), mod_time = now() where userid = $1`, [userid]);
    return 'profile';
  }
  await db.query(
    `delete from digoal_01.user_login_rec where id in (select id from digoal_01.user_login_rec order by id limit 5)`,
  );
  return 'purge';
}
