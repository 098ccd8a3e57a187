/**
 * Figure 2's backlogs, shared by bench/apply.ts, apply-cli.ts, pooler.ts
 * and londiste.ts. Each shape writes 200k inserts, 100k updates and 50k
 * deletes (a fifth in quick mode) on one table:
 *   bench      public.bench (4 columns), statements of 1,000 rows
 *   user_info  the seed's digoal_01.user_info (10 columns), statements of 1,000 rows
 *   wide       a 2 KB text column, statements of 1,000 rows (a fifth of the changes: 140 MB of rows)
 *   oltp       public.bench, one row per statement (an OLTP application: one event
 *              per change), 1,000 statements per transaction
 * `tick` runs after each transaction (whatever closes batches meanwhile).
 */
import { connect } from '../lib/db/connect.ts';
import { exec, quick } from './common.ts';

export type ShapeName = 'bench' | 'user_info' | 'wide' | 'oltp';

export interface Shape {
  name: ShapeName;
  /** The replicated table, schema-qualified. */
  table: string;
  /** Changes in the backlog. */
  changes: number;
  /** CREATE TABLE for the table, or for a copy of it named `as` (same schema). */
  ddl(as?: string): string;
  /** The statements of the backlog, one transaction each. */
  transactions(): Iterable<string>;
}

const txRows = 1000;
const counts = (scale: number) => ({ inserts: 200_000 * scale, updates: 100_000 * scale, deletes: 50_000 * scale });

/** Set-based statements over id ranges of 1,000: insert, update, then delete from the top. */
function* ranges(c: ReturnType<typeof counts>, ins: (lo: number, hi: number) => string, upd: (lo: number, hi: number) => string, del: (lo: number, hi: number) => string) {
  for (let i = 0; i < c.inserts; i += txRows) yield ins(i + 1, i + txRows);
  for (let i = 0; i < c.updates; i += txRows) yield upd(i + 1, i + txRows);
  for (let i = 0; i < c.deletes; i += txRows) yield del(c.inserts - i - txRows + 1, c.inserts - i);
}

const scale = quick ? 0.2 : 1;

const benchDdl = (as = 'bench') => `create table public.${as} (id bigint primary key, a int not null, b text, ts timestamptz)`;

export const shapes: Record<ShapeName, Shape> = {
  bench: {
    name: 'bench', table: 'public.bench', changes: 350_000 * scale, ddl: benchDdl,
    transactions: () => ranges(counts(scale),
      (lo, hi) => `insert into bench select g, g % 1000, md5(g::text), now() from generate_series(${lo}, ${hi}) g`,
      (lo, hi) => `update bench set a = a + 1, b = md5(b) where id between ${lo} and ${hi}`,
      (lo, hi) => `delete from bench where id between ${lo} and ${hi}`),
  },
  user_info: {
    name: 'user_info', table: 'digoal_01.user_info', changes: 350_000 * scale,
    ddl: (as = 'user_info') => `create schema if not exists digoal_01;
      create table digoal_01.${as} (userid int primary key, engname text, cnname text, occupation text, birthday date,
        signname text, email text, qq numeric, crt_time timestamptz, mod_time timestamptz)`,
    transactions: () => ranges(counts(scale),
      (lo, hi) => `insert into digoal_01.user_info select g, 'user' || g, '用户' || g, 'dba', date '1980-01-01' + g % 10000,
        'sign ''' || g || '''', g || '@example.org', g * 7, now(), null from generate_series(${lo}, ${hi}) g`,
      (lo, hi) => `update digoal_01.user_info set signname = md5(signname), mod_time = now() where userid between ${lo} and ${hi}`,
      (lo, hi) => `delete from digoal_01.user_info where userid between ${lo} and ${hi}`),
  },
  wide: {
    name: 'wide', table: 'public.wide', changes: 70_000 * scale,
    ddl: (as = 'wide') => `create table public.${as} (id bigint primary key, a int not null, payload text)`,
    transactions: () => ranges(counts(scale / 5),
      (lo, hi) => `insert into wide select g, g % 1000, repeat(md5(g::text), 64) from generate_series(${lo}, ${hi}) g`,
      (lo, hi) => `update wide set a = a + 1 where id between ${lo} and ${hi}`,
      (lo, hi) => `delete from wide where id between ${lo} and ${hi}`),
  },
  oltp: {
    name: 'oltp', table: 'public.bench', changes: 350_000 * scale, ddl: benchDdl,
    // A PL/pgSQL loop runs one statement per row: each fires the capture
    // trigger once, as an application's single-row statements do.
    transactions: () => ranges(counts(scale),
      (lo, hi) => `do $$ begin for g in ${lo}..${hi} loop insert into bench values (g, g % 1000, md5(g::text), now()); end loop; end $$`,
      (lo, hi) => `do $$ begin for g in ${lo}..${hi} loop update bench set a = a + 1, b = md5(b) where id = g; end loop; end $$`,
      (lo, hi) => `do $$ begin for g in reverse ${hi}..${lo} loop delete from bench where id = g; end loop; end $$`),
  },
};

export function shapeNamed(name: string): Shape {
  const s = shapes[name as ShapeName];
  if (!s) throw new Error(`unknown backlog shape "${name}" (one of ${Object.keys(shapes).join(', ')})`);
  return s;
}

export const backlogEvents = shapes.bench.changes;
export const benchTable = shapes.bench.ddl;

export async function writeBacklog(url: string, tick: (db: import('pg').ClientBase) => Promise<void>, shape: Shape = shapes.bench): Promise<void> {
  const db = await connect(url, { serverDefaults: true });
  try {
    for (const sql of shape.transactions()) {
      await db.query(sql);
      await tick(db);
    }
  } finally {
    await db.end();
  }
}

/** Row-for-row fingerprint of a shape's table (or of another table). */
export async function checksum(url: string, table = 'public.bench'): Promise<string> {
  const key = (await exec(url, `select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid and a.attnum = i.indkey[0]
    where i.indrelid = '${table}'::regclass and i.indisprimary`))[0]!.rows[0].attname;
  return (await exec(url, `select md5(string_agg(t::text, '|' order by t.${key})) as h from ${table} t`))[0]!.rows[0].h ?? 'empty';
}

export const benchChecksum = (url: string) => checksum(url);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the leaf's consumer `dst` has nothing pending on the root and
 * the table compares equal on both sides; resolves to the moment
 * (performance.now()) the queue first said so, of the look that then
 * compared equal. The queue's word alone is not enough (a transaction that
 * drew its event ids before a tick and committed after it is in the next
 * batch), and comparing takes time (0.5 s for the wide shape) that is not
 * the apply's.
 */
export async function caughtUp(src: string, dst: string, table: string, queue = 'replika', consumer = 'dst'): Promise<number> {
  const db = await connect(src);
  try {
    for (;;) {
      const { rows } = await db.query(
        `select c.pending_events, c.last_tick, q.last_tick_id from pgq.get_consumer_info($1, $2) c, pgq.get_queue_info($1) q`, [queue, consumer]);
      const at = performance.now();
      if (Number(rows[0].pending_events) === 0 && Number(rows[0].last_tick) === Number(rows[0].last_tick_id)
        && (await checksum(src, table)) === (await checksum(dst, table))) return at;
      await sleep(20);
    }
  } finally {
    await db.end();
  }
}
