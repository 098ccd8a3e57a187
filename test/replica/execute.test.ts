/**
 * execute FILE.sql... on the root while a load writes there and the leaf
 * applies: a column added, renamed, dropped and a table created, each run
 * on the root and at the same place of the stream on the leaf, once per
 * node; no change lost, none applied twice, those captured just before
 * and just after each file both arrive, also in a batch that holds both.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { connect } from '../../lib/db/connect.ts';
import { checksum, consume, replicatedPair, run, sql, syncLeaf, tick } from '../helpers/nodes.ts';
import { cli } from '../helpers/load.ts';

/** The load's one transaction, as the application would write it before any file. */
const step0 = `
  create function public.load_step(i int) returns void language plpgsql set search_path = public as $$
  begin
    insert into t (id, v, n) values (100000 + i, 'new ' || i, i) on conflict (id) do nothing;
    update t set v = v || '.', n = n + 1 where id = 101 + (i * 7919) % 19000;
    delete from t where id = 101 + (i * 104729) % 19000;
  end $$`;

/** The files, each with the load's statement as the application writes it after it. */
const files: [string, string][] = [
  ['001_add_column.sql', `alter table t add column extra text default 'd';
    create or replace function public.load_step(i int) returns void language plpgsql set search_path = public as $$
    begin
      insert into t (id, v, n, extra) values (100000 + i, 'new ' || i, i, 'x' || i) on conflict (id) do nothing;
      update t set v = v || '.', n = n + 1, extra = 'u' || i where id = 101 + (i * 7919) % 19000;
      delete from t where id = 101 + (i * 104729) % 19000;
    end $$`],
  ['002_rename_column.sql', `alter table t rename column v to w;
    create or replace function public.load_step(i int) returns void language plpgsql set search_path = public as $$
    begin
      insert into t (id, w, n, extra) values (100000 + i, 'new ' || i, i, 'x' || i) on conflict (id) do nothing;
      update t set w = w || '.', n = n + 1, extra = 'u' || i where id = 101 + (i * 7919) % 19000;
      delete from t where id = 101 + (i * 104729) % 19000;
    end $$`],
  ['003_drop_column.sql', `alter table t drop column n;
    create or replace function public.load_step(i int) returns void language plpgsql set search_path = public as $$
    begin
      insert into t (id, w, extra) values (100000 + i, 'new ' || i, 'x' || i) on conflict (id) do nothing;
      update t set w = w || '.', extra = 'u' || i where id = 101 + (i * 7919) % 19000;
      delete from t where id = 101 + (i * 104729) % 19000;
    end $$`],
  ['004_create_table.sql', `create table t2 (id int primary key, x text); insert into t2 values (1, 'one')`],
];

/** Writes load_step on the root in a loop; the leaf ticked and consumed in another loop, which can be held. */
function startLoad(root: NodeConfig, leaf: NodeConfig) {
  let stopped = false;
  let held: Promise<void> | null = null;
  let release: () => void = () => {};
  let n = 0;
  let failed = 0;
  const waiters: { at: number; resolve: () => void }[] = [];
  const writer = (async () => {
    const db = await connect(root.db);
    try {
      for (let i = 1; !stopped; i++) {
        try {
          await db.query('select public.load_step($1)', [i]);
          n++;
        } catch {
          // A statement planned against the table's old shape, caught by a file: the application retries.
          failed++;
        }
        for (const w of waiters.filter((w) => n >= w.at)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    } finally {
      await db.end();
    }
  })();
  let idle: () => void = () => {};
  let applierIdle: Promise<void> = Promise.resolve();
  const applier = (async () => {
    while (!stopped) {
      if (held) {
        idle();
        await held;
        continue;
      }
      await tick(root);
      await consume(root, leaf);
    }
  })();
  return {
    more: (k: number) => new Promise<void>((resolve) => waiters.push({ at: n + k, resolve })),
    /** Stops applying (resolves once no consumer run is going). */
    hold: async () => {
      held = new Promise((r) => (release = r));
      applierIdle = new Promise((r) => (idle = r));
      await applierIdle;
    },
    resume: () => {
      held = null;
      release();
    },
    failed: () => failed,
    stop: async () => {
      stopped = true;
      held = null;
      release();
      await Promise.all([writer, applier]);
    },
  };
}

function writeFiles(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-execute-'));
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  });
}

describe('execute', () => {
  it('runs DDL on the root and at the same place of the stream on the leaf, while writes go on', async () => {
    const ddl = 'create table public.t (id int primary key, v text, n int)';
    const { root, leaf } = await replicatedPair('exec', ddl, 'public.t',
      `insert into t select g, 'v' || g, g from generate_series(1, 20000) g; ${step0}`);
    const paths = writeFiles();
    const load = startLoad(root, leaf);
    try {
      await load.more(30);
      // The first file with the leaf held: one batch then holds the changes
      // from before the file, its EXECUTE and the changes after it.
      await load.hold();
      await sql(root.db, `insert into t (id, v, n) values (-1, 'just before', 1)`);
      const first = await cli(root, 'execute', paths[0]!);
      expect(first).toEqual({ code: 0, out: '', err: 'INFO Executing: 001_add_column.sql\nINFO Execute finished: 001_add_column.sql\n' });
      await sql(root.db, `insert into t (id, v, n, extra) values (-2, 'just after', 2, 'new column')`);
      await load.more(30);
      await tick(root);
      const r = await consume(root, leaf, { maxBatches: 1, batchEvents: 1_000_000 });
      expect(r.batches).toBe(1);
      const marks = await sql(leaf.db, `select id, v, extra from t where id < 0 order by id desc`);
      expect(marks).toEqual([{ id: -1, v: 'just before', extra: 'd' }, { id: -2, v: 'just after', extra: 'new column' }]);
      load.resume();

      // The others while the leaf applies as it goes.
      for (const path of paths.slice(1)) {
        await load.more(30);
        const r = await cli(root, 'execute', path);
        expect(r.code).toBe(0);
      }
      await load.more(30);
    } finally {
      await load.stop();
    }
    await syncLeaf(root, leaf);

    const columns = async (url: string) =>
      (await sql(url, `select string_agg(attname, ',' order by attnum) as c from pg_attribute where attrelid = 'public.t'::regclass and attnum > 0 and not attisdropped`))[0]!.c;
    expect(await columns(leaf.db)).toBe('id,w,extra');
    expect(await columns(root.db)).toBe('id,w,extra');
    expect(await checksum(leaf.db, 'public.t')).toBe(await checksum(root.db, 'public.t'));
    // Rows the load wrote after each file carry what only that shape had.
    const [after] = await sql(leaf.db, `select count(*) filter (where extra like 'x%')::int as x, count(*) filter (where extra like 'u%')::int as u from t`);
    expect(after!.x).toBeGreaterThan(0);
    expect(after!.u).toBeGreaterThan(0);
    expect(await sql(leaf.db, 'select * from t2')).toEqual([{ id: 1, x: 'one' }]);
    // Once per node, recorded on each.
    for (const n of [root, leaf]) {
      expect(await sql(n.db, `select exec_file, exec_checksum = md5(exec_sql) as ok from lambdiste.applied_execute order by exec_file`))
        .toEqual(files.map(([name]) => ({ exec_file: name, ok: true })));
    }
    // compare agrees, on the new shape.
    expect((await run(leaf, 'compare', ['public.t'])).exitCode).toBe(0);

    // The new table replicates like any other once added.
    expect((await run(root, 'add-table', ['t2'])).exitCode).toBe(0);
    expect((await run(leaf, 'add-table', ['t2'])).exitCode).toBe(0);
    await sql(root.db, `insert into t2 values (2, 'two')`);
    await syncLeaf(root, leaf);
    expect(await checksum(leaf.db, 't2')).toBe(await checksum(root.db, 't2'));

    // Again: already applied, nothing sent; the leaf runs nothing twice.
    const again = await cli(root, 'execute', paths[0]!);
    expect(again).toEqual({ code: 0, out: '', err: 'INFO Executing: 001_add_column.sql\nINFO EXECUTE(001_add_column.sql) already applied, skipping\n' });
    await syncLeaf(root, leaf);
    expect((await sql(leaf.db, `select count(*)::int as n from lambdiste.applied_execute`))[0]!.n).toBe(files.length);
  }, 240_000);

  it('refuses bad input with one ERROR line and exit code 1, changing nothing', async () => {
    const { root, leaf } = await replicatedPair('execbad', 'create table public.t (id int primary key, v text)', 'public.t');
    const [good] = writeFiles();
    const missing = await cli(root, 'execute', good!, '/no/such/file.sql');
    expect(missing).toEqual({ code: 1, out: '', err: 'ERROR File not found: /no/such/file.sql\n' });
    const onLeaf = await cli(leaf, 'execute', good!);
    expect(onLeaf).toEqual({ code: 1, out: '', err: `ERROR Node "${leaf.jobName}" is a leaf; this command needs a root\n` });
    const dir = mkdtempSync(join(tmpdir(), 'lambdiste-execute-'));
    writeFileSync(join(dir, 'bad.sql'), 'alter table t add column ok int; alter table nope add column x int');
    const bad = await cli(root, 'execute', join(dir, 'bad.sql'));
    expect(bad.code).toBe(1);
    expect(bad.err).toBe('INFO Executing: bad.sql\nERROR bad.sql: relation "nope" does not exist\n');
    // Nothing ran, nothing was recorded, no event went out.
    for (const n of [root, leaf]) {
      expect((await sql(n.db, `select count(*)::int as n from lambdiste.applied_execute`))[0]!.n).toBe(0);
      expect((await sql(n.db, `select count(*)::int as n from pg_attribute where attrelid = 'public.t'::regclass and attname in ('ok', 'extra')`))[0]!.n).toBe(0);
    }
    await tick(root);
    expect((await consume(root, leaf)).events).toBe(0);
  });
});
