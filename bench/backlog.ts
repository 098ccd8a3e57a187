/**
 * Figure 2's backlog, shared by bench/apply.ts and bench/londiste.ts:
 * 200k inserts, 100k updates and 50k deletes (a fifth in quick mode) in
 * transactions of 1,000 rows, on table public.bench; `tick` runs after
 * each transaction (whatever closes batches meanwhile).
 */
import { connect } from '../lib/db/connect.ts';
import { exec, quick } from './common.ts';

const scale = quick ? 0.2 : 1;
const inserts = 200_000 * scale;
const updates = 100_000 * scale;
const deletes = 50_000 * scale;
const txRows = 1000;

export const backlogEvents = inserts + updates + deletes;
export const benchTable = (name = 'bench') =>
  `create table public.${name} (id bigint primary key, a int not null, b text, ts timestamptz)`;

export async function writeBacklog(url: string, tick: (db: import('pg').ClientBase) => Promise<void>): Promise<void> {
  const db = await connect(url, { serverDefaults: true });
  try {
    const tx = async (sql: string) => {
      await db.query(sql);
      await tick(db);
    };
    for (let i = 0; i < inserts; i += txRows) {
      await tx(`insert into bench select g, g % 1000, md5(g::text), now() from generate_series(${i + 1}, ${i + txRows}) g`);
    }
    for (let i = 0; i < updates; i += txRows) await tx(`update bench set a = a + 1, b = md5(b) where id between ${i + 1} and ${i + txRows}`);
    for (let i = 0; i < deletes; i += txRows) await tx(`delete from bench where id between ${inserts - i - txRows + 1} and ${inserts - i}`);
  } finally {
    await db.end();
  }
}

/** Row-for-row fingerprint of public.bench. */
export async function benchChecksum(url: string): Promise<string> {
  return (await exec(url, `select md5(string_agg(b::text, '|' order by id)) as h from bench b`))[0]!.rows[0].h;
}
