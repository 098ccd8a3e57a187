/**
 * Cascading: root → branch → leaves, with londiste3's node commands
 * (create-branch, members, node-status, status, change-provider,
 * takeover, tag-dead, drop-node), each while a load writes on the root,
 * every table compared on every node at the end (count + checksum).
 * members, node-status, change-provider and takeover go through the CLI's
 * entry (main), printed output and exit codes included.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { redactUrl } from '../../lib/db/connect.ts';
import { createDatabase } from '../helpers/db.ts';
import { closeKept, nodeNow, settle, step } from '../helpers/cascade.ts';
import { cli } from '../helpers/load.ts';
import { checksum, nodeConfig, run, sql } from '../helpers/nodes.ts';

const ddl = `
  create table t (id serial primary key, v int not null, note text);
  create table kv (k text primary key, n int not null);
  -- Insert-only, with a subscriber-side trigger (fires for applied rows
  -- too) counting every row the apply writes: each row once, never twice.
  create table ledger (id bigint primary key, amount int not null);
  create table applies (n bigint not null);
  insert into applies values (0);
  create function count_apply() returns trigger language plpgsql as $$
  begin update public.applies set n = n + 1; return null; end $$;
  create trigger count_apply after insert or update on ledger for each row execute function count_apply();
  alter table ledger enable always trigger count_apply;`;

const TABLES = ['t', 'kv', 'ledger'];

afterAll(closeKept);

async function node(server: 'provider' | 'subscriber', name: string): Promise<NodeConfig> {
  const db = await createDatabase(server, name);
  await sql(db, ddl);
  return nodeConfig(name, db);
}

async function ok(n: NodeConfig, command: string, args: string[] = [], options: Record<string, string | number | boolean> = {}) {
  const r = await run(n, command, args, options);
  if (r.exitCode !== 0) throw new Error(`${n.jobName} ${command} ${args.join(' ')} failed:\n${r.log.join('\n')}`);
  return r;
}

/** A command through the CLI's entry, which must succeed: its stdout and its log lines (stderr). */
async function cliOk(n: NodeConfig, ...args: string[]): Promise<{ out: string; log: string[] }> {
  const r = await cli(n, ...args);
  if (r.code !== 0) throw new Error(`${n.jobName} ${args.join(' ')} exited ${r.code}:\n${r.err}`);
  return { out: r.out, log: r.err.split('\n').filter(Boolean) };
}

/** A load on whichever node is the root: inserts, updates (key changes too), deletes, ledger rows. */
let ledgerId = 0;
function load(target: () => NodeConfig, rounds: number) {
  let done = 0;
  const written: number[] = [];
  const go = (async () => {
    for (let i = 0; i < rounds; i++) {
      const n = target();
      try {
        await sql(n.db, `begin;
          insert into t (v, note) select g, 'r${i}' from generate_series(1, 5) g;
          update t set v = v + 1 where id % 7 = ${i % 7};
          update t set id = -id where id = (select max(id) from t where id > 0 and id % 11 = 0);
          delete from t where id % 13 = ${i % 13} and id > 0;
          insert into kv values ('k${i % 20}', ${i}) on conflict (k) do update set n = kv.n + excluded.n;
          insert into ledger values (${ledgerId + 1}, ${i}), (${ledgerId + 2}, ${i});
          commit;`);
        ledgerId += 2;
        written.push(i);
      } catch (err) {
        done++;
        // The old root refuses writes once a takeover has begun: the writer moves on.
        if (!/Insert into queue disallowed/.test((err as Error).message)) throw err;
        continue;
      }
      done++;
    }
  })();
  let failure: unknown;
  go.catch((err) => void (failure = err));
  // A load that failed stops the test's rounds with its error.
  const progress = () => {
    if (failure) throw failure;
    return done;
  };
  return { go, progress, written };
}

/** Runs every node's rounds while `until` is false. */
async function drive(nodes: NodeConfig[], until: () => boolean): Promise<void> {
  while (!until()) {
    for (const n of nodes) await step(n);
  }
}

async function expectSame(nodes: NodeConfig[]): Promise<void> {
  const [first, ...rest] = nodes;
  for (const t of TABLES) {
    const want = await checksum(first!.db, t);
    expect(Number(want.split(':')[0]), `${t} has rows`).toBeGreaterThan(0);
    for (const n of rest) expect(await checksum(n.db, t), `${n.jobName} ${t}`).toBe(want);
  }
}

async function applies(n: NodeConfig): Promise<number> {
  const [r] = await sql(n.db, 'select n::int as n from applies');
  return r!.n;
}

async function ledgerRows(n: NodeConfig): Promise<number> {
  const [r] = await sql(n.db, 'select count(*)::int as n from ledger');
  return r!.n;
}

/** root on the provider server; a branch and leaves on the subscriber server. */
async function tree(prefix: string, opts: { leafUnderRoot?: boolean; leavesUnderBranch?: number } = {}) {
  const root = await node('provider', `${prefix}_root`);
  const branch = await node('subscriber', `${prefix}_branch`);
  await ok(root, 'create-root', [root.jobName]);
  await ok(root, 'add-table', TABLES);
  await ok(root, 'add-seq', ['t_id_seq']);
  await ok(branch, 'create-branch', [branch.jobName], { provider: root.db });
  await ok(branch, 'add-table', [], { all: true });
  await ok(branch, 'add-seq', [], { all: true });
  const leaves: NodeConfig[] = [];
  if (opts.leafUnderRoot) {
    const l = await node('subscriber', `${prefix}_leaf1`);
    await ok(l, 'create-leaf', [l.jobName], { provider: root.db });
    await ok(l, 'add-table', [], { all: true });
    leaves.push(l);
  }
  await settle([root, branch, ...leaves]);
  for (let i = 0; i < (opts.leavesUnderBranch ?? 0); i++) {
    const l = await node('subscriber', `${prefix}_bleaf${i + 1}`);
    await ok(l, 'create-leaf', [l.jobName], { provider: branch.db });
    await ok(l, 'add-table', [], { all: true });
    await ok(l, 'add-seq', [], { all: true });
    leaves.push(l);
  }
  await settle([root, branch, ...leaves]);
  return { root, branch, leaves };
}

describe('create-branch, leaves under a branch, members, node-status, status', () => {
  it('replicates a load on the root to a branch and through it to its leaves, shown as a tree', async () => {
    const { root, branch, leaves } = await tree('cb', { leafUnderRoot: true, leavesUnderBranch: 2 });
    const [leaf1, bleaf1, bleaf2] = leaves as [NodeConfig, NodeConfig, NodeConfig];
    const all = [root, branch, leaf1, bleaf1, bleaf2];

    // Nodes join the branch while the load runs: a leaf added half-way copies from the branch.
    const w = load(() => root, 60);
    let late: NodeConfig | null = null;
    await drive(all, () => {
      if (w.progress() >= 20 && !late) {
        late = { jobName: 'pending' } as NodeConfig;
        void (async () => {
          const l = await node('subscriber', 'cb_late');
          await ok(l, 'create-leaf', [l.jobName], { provider: branch.db });
          await ok(l, 'add-table', [], { all: true });
          all.push(l);
          late = l;
        })();
      }
      return w.progress() >= 60 && late !== null && late.jobName !== 'pending';
    });
    await w.go;
    await settle(all);
    await expectSame(all);
    // Every row applied once on every subscriber.
    for (const n of all.slice(1)) expect(await applies(n), n.jobName).toBe(await ledgerRows(root));

    // The branch's own queue holds the root's ticks, and refuses local writes.
    const [b] = await sql(branch.db, `select queue_external_ticker, queue_disable_insert from pgq.queue where queue_name = 'replika'`);
    expect(b).toEqual({ queue_external_ticker: true, queue_disable_insert: true });
    await expect(sql(branch.db, `insert into t (v) values (1)`)).rejects.toThrow(/Insert into queue disallowed/);
    // Sequences travel through the branch.
    const [rs] = await sql(root.db, `select last_value::int as v from t_id_seq`);
    for (const n of [branch, bleaf1]) {
      const [s] = await sql(n.db, `select last_value::int as v from t_id_seq`);
      expect(s!.v, n.jobName).toBeGreaterThanOrEqual(rs!.v);
    }

    // members: londiste3's table on stdout, nothing logged.
    const members = await cliOk(bleaf1, 'members');
    expect(members.log).toEqual([]);
    const lines = members.out.split('\n');
    expect(lines.slice(0, 3).map((l) => l.trimEnd().split(/\s{2,}/))).toEqual([
      ['Member info on cb_bleaf1@replika:'], ['node_name', 'dead', 'node_location'], [expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/), expect.stringMatching(/^-+$/)],
    ]);
    expect(lines.slice(3, 9).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual(
      ['cb_bleaf1', 'cb_bleaf2', 'cb_branch', 'cb_late', 'cb_leaf1', 'cb_root'].map((n) => [n, 'False']));
    expect(lines.slice(9)).toEqual(['', '', '']);
    expect(lines[8]!.split(/\s{2,}/)[2]).toBe(redactUrl(root.db));

    // node-status: log lines on stderr, nothing on stdout.
    const ns = await cliOk(branch, 'node-status');
    expect(ns.out).toBe('');
    expect(ns.log.slice(0, 3)).toEqual(['INFO cb_branch (branch)', 'INFO     Provider: cb_root', 'INFO     Subscribers: cb_bleaf1, cb_bleaf2, cb_late']);
    expect(ns.log[3]).toMatch(/^INFO     Tables: 3\/0\/0  Lag: \d+s, Tick: \d+, Pending: \d+$/);
    expect(ns.log).toHaveLength(4);

    const st = await ok(bleaf2, 'status');
    const shape = st.log.map((l) => l.replace(/Lag: \d+s, Tick: \d+, Pending: \d+/, 'Lag…'));
    expect(shape).toEqual([
      'INFO cb_root (root)',
      'INFO   Tables: 3/0/0  Lag…',
      'INFO   +--cb_branch (branch)',
      'INFO       Tables: 3/0/0  Lag…',
      'INFO       +--cb_bleaf1 (leaf)',
      'INFO           Tables: 3/0/0  Lag…',
      'INFO       +--cb_bleaf2 (leaf)',
      'INFO           Tables: 3/0/0  Lag…',
      'INFO       +--cb_late (leaf)',
      'INFO           Tables: 3/0/0  Lag…',
      'INFO   +--cb_leaf1 (leaf)',
      'INFO       Tables: 3/0/0  Lag…',
    ]);
    const rows = st.data as { node: string; depth: number; tick: number; lag: string }[];
    const rootTick = rows[0]!.tick;
    for (const r of rows) expect(r.tick, r.node).toBe(rootTick);
    expect(rows.map((r) => [r.node, r.depth])).toEqual([
      ['cb_root', 0], ['cb_branch', 1], ['cb_bleaf1', 2], ['cb_bleaf2', 2], ['cb_late', 2], ['cb_leaf1', 1],
    ]);
  }, 240_000);

  it('refuses bad input with one line and changes nothing', async () => {
    const { root, branch, leaves } = await tree('cbbad', { leavesUnderBranch: 1 });
    const [bleaf] = leaves as [NodeConfig];
    const other = await node('subscriber', 'cbbad_other');
    const before = await sql(root.db, 'select * from lambdiste.member order by member_name');

    await expect(run(other, 'create-leaf', ['x'], { provider: bleaf.db })).rejects.toThrow(
      /^Provider .* is leaf "cbbad_bleaf1": only a root or a branch can have subscribers$/);
    await expect(run(other, 'create-branch', ['cbbad_branch'], { provider: branch.db })).rejects.toThrow(
      'Node name "cbbad_branch" is already used by a branch of queue "replika"');
    await expect(run(other, 'create-branch', ['x'], {})).rejects.toThrow('create-branch needs --provider=CONNSTR');
    // Nothing was made of the refused node.
    const [n] = await sql(other.db, `select to_regclass('lambdiste.node') is null or not exists (select from lambdiste.node) as none`);
    expect(n!.none).toBe(true);
    expect(await sql(root.db, 'select * from lambdiste.member order by member_name')).toEqual(before);

    // drop-node: not the root, not a node with subscribers, not an unknown one.
    await expect(run(bleaf, 'drop-node', ['cbbad_root'])).rejects.toThrow('Node "cbbad_root" is the root: it cannot be dropped');
    await expect(run(bleaf, 'drop-node', ['cbbad_branch'])).rejects.toThrow(
      'Node "cbbad_branch" has subscribers (cbbad_bleaf1): move or drop them first');
    await expect(run(root, 'drop-node', ['nosuch'])).rejects.toThrow(/^Unknown node "nosuch" \(members: /);
    await expect(run(root, 'tag-dead', ['nosuch'])).rejects.toThrow(/^Unknown node "nosuch" \(members: /);
    await expect(run(root, 'tag-dead', ['cbbad_root'])).rejects.toThrow('Node "cbbad_root" cannot tag itself dead');
    expect(await sql(root.db, 'select * from lambdiste.member order by member_name')).toEqual(before);

    // A leaf dropped from the root: gone from the branch's queue, the members and its own database.
    expect((await ok(root, 'drop-node', ['cbbad_bleaf1'])).log).toEqual(['INFO Node "cbbad_bleaf1" dropped']);
    expect(await sql(branch.db, `select consumer_name from pgq.get_consumer_info('replika')`)).toEqual([]);
    expect((await sql(root.db, 'select member_name from lambdiste.member order by 1')).map((r) => r.member_name)).toEqual(['cbbad_branch', 'cbbad_root']);
    expect(await sql(bleaf.db, 'select * from lambdiste.node')).toEqual([]);
    // Its data stays; the branch goes on.
    expect(Number((await checksum(bleaf.db, 't')).split(':')[0])).toBeGreaterThanOrEqual(0);
    await sql(root.db, `insert into t (v) values (42)`);
    await settle([root, branch]);
    expect(await checksum(branch.db, 't')).toBe(await checksum(root.db, 't'));
  }, 240_000);
});

describe('change-provider', () => {
  it('moves a leaf from the root to a branch and back while the load runs, applying every row exactly once', async () => {
    const { root, branch, leaves } = await tree('cp', { leafUnderRoot: true });
    const [leaf] = leaves as [NodeConfig];
    const all = [root, branch, leaf];
    const w = load(() => root, 90);
    const moves: Promise<unknown>[] = [];
    await drive(all, () => {
      // The moves run beside the workers, as a user's command would.
      if (w.progress() >= 20 && moves.length === 0) moves.push(cliOk(leaf, 'change-provider', '--provider=cp_branch'));
      if (w.progress() >= 50 && moves.length === 1) moves.push(moves[0]!.then(() => cliOk(leaf, 'change-provider', '--provider', 'cp_root')));
      return w.progress() >= 90;
    });
    await w.go;
    const logs = (await Promise.all(moves)) as { out: string; log: string[] }[];
    for (const [i, to] of (['cp_branch', 'cp_root'] as const).entries()) {
      expect(logs[i]!.out).toBe('');
      expect(logs[i]!.log).toEqual([
        expect.stringMatching(new RegExp(`^INFO Waiting for "${to}" to reach tick \\d+$`)),
        expect.stringMatching(new RegExp(`^INFO Node "cp_leaf1" now reads from "${to}", after tick \\d+$`)),
        'INFO Done',
      ]);
    }
    await settle(all);
    await expectSame(all);
    expect(await applies(leaf)).toBe(await ledgerRows(root));
    expect(await applies(branch)).toBe(await ledgerRows(root));
    // Registered on the root only, again.
    const onBranch = await sql(branch.db, `select consumer_name from pgq.get_consumer_info('replika')`);
    expect(onBranch).toEqual([]);
    const rows = (await ok(leaf, 'status')).data as { node: string; provider: string | null }[];
    expect(rows.map((r) => [r.node, r.provider])).toEqual([['cp_root', null], ['cp_branch', 'cp_root'], ['cp_leaf1', 'cp_root']]);
  }, 240_000);

  it('refuses an unknown node, a leaf, itself, a node below it and the root, changing nothing', async () => {
    const { root, branch, leaves } = await tree('cpbad', { leavesUnderBranch: 1 });
    const [bleaf] = leaves as [NodeConfig];
    const sub = await node('subscriber', 'cpbad_sub');
    await ok(sub, 'create-branch', [sub.jobName], { provider: branch.db });
    await ok(sub, 'add-table', [], { all: true });
    await settle([root, branch, bleaf, sub]);
    const state = async () => [
      await sql(root.db, 'select * from lambdiste.member order by member_name'),
      await sql(branch.db, 'select node_provider from lambdiste.node'),
      await sql(root.db, `select consumer_name, last_tick from pgq.get_consumer_info('replika') order by 1`),
      await sql(branch.db, `select consumer_name, last_tick from pgq.get_consumer_info('replika') order by 1`),
    ];
    const before = await state();
    const cases: [NodeConfig, string, RegExp | string][] = [
      [bleaf, 'nosuch', /^Unknown node "nosuch" \(members: /],
      [bleaf, 'cpbad_bleaf1', 'Node "cpbad_bleaf1" cannot be its own provider'],
      [branch, 'cpbad_bleaf1', 'Node "cpbad_bleaf1" is a leaf: only a root or a branch can be a provider'],
      [branch, 'cpbad_sub', 'Node "cpbad_sub" reads from "cpbad_branch": it cannot be its provider (a cycle)'],
      [root, 'cpbad_branch', 'Node "cpbad_root" is the root: it has no provider to change'],
    ];
    for (const [n, to, message] of cases) {
      await expect(run(n, 'change-provider', [], { provider: to })).rejects.toThrow(message);
    }
    await expect(run(bleaf, 'change-provider', [], {})).rejects.toThrow('change-provider needs --provider=NODE');
    // Through the CLI: exit code 1 and one ERROR line.
    expect(await cli(bleaf, 'change-provider', '--provider=cpbad_bleaf1')).toEqual({
      code: 1, out: '', err: 'ERROR Node "cpbad_bleaf1" cannot be its own provider\n',
    });
    expect((await cli(bleaf, 'change-provider', '--provider=cpbad_root', '--timeout=soon')).code).toBe(1);
    const same = await ok(bleaf, 'change-provider', [], { provider: 'cpbad_branch' });
    expect(same.log).toEqual(['INFO Node "cpbad_bleaf1" already reads from "cpbad_branch"']);
    expect(await state()).toEqual(before);
  }, 240_000);
});

describe('takeover', () => {
  it('switches the root over to its branch while the load runs; the old root and its leaf follow, sequences too', async () => {
    const { root, branch, leaves } = await tree('to', { leafUnderRoot: true, leavesUnderBranch: 1 });
    const [leaf1, bleaf] = leaves as [NodeConfig, NodeConfig];
    const all = [root, branch, leaf1, bleaf];
    let target = root;
    const w = load(() => target, 80);
    let takeover: Promise<{ log: string[] }> | null = null;
    let seqAtTakeover = 0;
    await drive(all, () => {
      if (w.progress() >= 30 && !takeover) {
        takeover = cliOk(branch, 'takeover', root.jobName).then(async (r) => {
          const [s] = await sql(root.db, 'select last_value::int as v from t_id_seq');
          seqAtTakeover = s!.v;
          target = branch;
          return r;
        });
      }
      return w.progress() >= 80 && target === branch;
    });
    await w.go;
    const log = (await takeover!)!.log;
    expect(log).toEqual([
      'INFO Old root "to_root": refusing new events',
      expect.stringMatching(/^INFO Old root "to_root": last tick \d+; waiting for "to_branch" to apply it$/),
      'INFO Node "to_branch" is the root now',
      expect.stringMatching(/^INFO Node "to_root" is a branch of "to_branch" now, after tick \d+$/),
      'INFO Done',
    ]);
    // Writes went to both roots, each in its time.
    const [before] = await sql(root.db, `select count(*)::int as n from ledger`);
    expect(w.written.length).toBeGreaterThan(40);
    await settle(all);
    await expectSame(all);
    // Each row once on every node: written there, or applied there (the counting trigger fires for both).
    for (const n of all) expect(await applies(n), n.jobName).toBe(await ledgerRows(branch));
    expect(await ledgerRows(branch)).toBeGreaterThan(before!.n);

    // The new root's sequence went on from the old root's.
    const [s] = await sql(branch.db, 'select last_value::int as v from t_id_seq');
    expect(s!.v).toBeGreaterThanOrEqual(seqAtTakeover);
    const [dup] = await sql(branch.db, 'select count(*)::int as n from (select id from t group by id having count(*) > 1) d');
    expect(dup!.n).toBe(0);

    expect((await nodeNow(branch)).type).toBe('root');
    expect((await nodeNow(root)).type).toBe('branch');
    await expect(sql(root.db, `insert into t (v) values (1)`)).rejects.toThrow(/Insert into queue disallowed/);
    const rows = (await ok(leaf1, 'status')).data as { node: string; type: string; provider: string | null; depth: number }[];
    expect(rows.map((r) => [r.node, r.type, r.provider, r.depth])).toEqual([
      ['to_branch', 'root', null, 0],
      ['to_root', 'branch', 'to_branch', 1],
      ['to_leaf1', 'leaf', 'to_root', 2],
      ['to_bleaf1', 'leaf', 'to_branch', 1],
    ]);
  }, 240_000);

  it('abandoned when it times out (the branch does not apply the last tick): the old root takes writes and ticks again', async () => {
    const { root, branch, leaves } = await tree('toab', { leafUnderRoot: true, leavesUnderBranch: 1 });
    const [leaf1, bleaf] = leaves as [NodeConfig, NodeConfig];
    const all = [root, branch, leaf1, bleaf];
    const queueState = () => sql(root.db, `select queue_disable_insert, queue_ticker_paused from pgq.queue where queue_name = 'replika'`);
    const w = load(() => root, 60);
    await drive(all, () => w.progress() >= 20);
    // No node works meanwhile: the branch never applies the last tick. The load goes on (refused for a moment).
    const r = await cli(branch, 'takeover', root.jobName, '--timeout=1');
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err.split('\n').filter(Boolean)).toEqual([
      'INFO Old root "toab_root": refusing new events',
      expect.stringMatching(/^INFO Old root "toab_root": last tick \d+; waiting for "toab_branch" to apply it$/),
      'WARNING Takeover abandoned: "toab_root" is still the root, and takes writes and ticks again',
      expect.stringMatching(/^ERROR Takeover abandoned: Timed out waiting for "toab_branch" to apply tick \d+$/),
    ]);
    // Nothing of the takeover is left: the old root takes writes, its ticker ticks (unforced), roles are as they were.
    expect(await queueState()).toEqual([{ queue_disable_insert: false, queue_ticker_paused: false }]);
    expect((await nodeNow(root)).type).toBe('root');
    expect((await nodeNow(branch)).type).toBe('branch');
    const before = (await nodeNow(root)).tick;
    await sql(root.db, `insert into kv values ('after-abandon', 1)`);
    await new Promise((res) => setTimeout(res, 100));
    await step(root);
    expect((await nodeNow(root)).tick).toBeGreaterThan(before);
    // The rest of the load, and another one, every write of it taken, reach every node, through the branch too.
    await drive(all, () => w.progress() >= 60);
    await w.go;
    const w2 = load(() => root, 30);
    await drive(all, () => w2.progress() >= 30);
    await w2.go;
    expect(w2.written).toHaveLength(30);
    await settle(all);
    await expectSame(all);
    for (const n of all.slice(1)) expect(await applies(n), n.jobName).toBe(await ledgerRows(root));
  }, 240_000);

  it('refuses a leaf, a node that is not the root or not the provider, changing nothing', async () => {
    const { root, branch, leaves } = await tree('tobad', { leafUnderRoot: true, leavesUnderBranch: 1 });
    const [leaf1, bleaf] = leaves as [NodeConfig, NodeConfig];
    const sub = await node('subscriber', 'tobad_sub');
    await ok(sub, 'create-branch', [sub.jobName], { provider: branch.db });
    await settle([root, branch, leaf1, bleaf, sub]);
    const state = async () => [
      await sql(root.db, 'select * from lambdiste.member order by member_name'),
      await sql(root.db, 'select node_type from lambdiste.node'),
      await sql(root.db, `select queue_disable_insert, queue_ticker_paused, queue_external_ticker from pgq.queue`),
      await sql(branch.db, 'select node_type from lambdiste.node'),
    ];
    const before = await state();
    const cases: [NodeConfig, string, RegExp | string][] = [
      [bleaf, 'tobad_root', 'Node "tobad_bleaf1" is a leaf: takeover runs on a branch'],
      [root, 'tobad_branch', 'Node "tobad_root" is a root: takeover runs on a branch'],
      [branch, 'nosuch', /^Unknown node "nosuch" \(members: /],
      [sub, 'tobad_branch', 'Node "tobad_branch" is a branch, not the root: takeover of a root only'],
      [branch, 'tobad_branch', 'Node "tobad_branch" cannot take over from itself'],
      [sub, 'tobad_root', 'Node "tobad_root" is not the provider of "tobad_sub"'],
    ];
    for (const [n, old, message] of cases) await expect(run(n, 'takeover', [old])).rejects.toThrow(message);
    await expect(run(branch, 'takeover', [])).rejects.toThrow('takeover needs a node name');
    expect(await cli(sub, 'takeover', 'tobad_root')).toEqual({ code: 1, out: '', err: 'ERROR Node "tobad_root" is not the provider of "tobad_sub"\n' });
    expect(await state()).toEqual(before);
  }, 240_000);
});

describe('tag-dead', () => {
  it('a branch whose root is gone takes over with what it has; its leaves follow; the dead root can be dropped', async () => {
    const { root, branch, leaves } = await tree('td', { leavesUnderBranch: 1 });
    const [bleaf] = leaves as [NodeConfig];
    const w = load(() => root, 30);
    await drive([root, branch, bleaf], () => w.progress() >= 30);
    await w.go;
    await settle([root, branch, bleaf]);
    // More on the root that the branch never gets: lost with the root.
    await sql(root.db, `insert into ledger select g, 0 from generate_series(100001, 100010) g`);
    // The root is gone.
    const dbName = new URL(root.db).pathname.slice(1);
    await closeKept();
    await sql(new URL('/postgres', root.db).toString(), `drop database "${dbName}" with (force)`);

    expect((await ok(branch, 'tag-dead', ['td_root'])).log).toEqual(['INFO Node "td_root" tagged dead']);
    const members = (await ok(bleaf, 'members')).tables[0]!;
    expect(members.rows.find((r) => r[0] === 'td_root')![1]).toBe(false);
    const mine = (await ok(branch, 'members')).tables[0]!;
    expect(mine.rows.find((r) => r[0] === 'td_root')![1]).toBe(true);
    const t = await ok(branch, 'takeover', ['td_root']);
    expect(t.log).toEqual([expect.stringMatching(/^INFO Node "td_branch" is the root now, from tick \d+; "td_root" is dead$/), 'INFO Done']);

    // Writes on the new root reach its leaf.
    const w2 = load(() => branch, 20);
    await drive([branch, bleaf], () => w2.progress() >= 20);
    await w2.go;
    await settle([branch, bleaf]);
    await expectSame([branch, bleaf]);
    expect(await applies(bleaf)).toBe(await ledgerRows(branch));
    const [lost] = await sql(branch.db, 'select count(*)::int as n from ledger where id > 100000');
    expect(lost!.n).toBe(0);

    const st = (await ok(bleaf, 'status')).data as { node: string; type: string; error: string | null }[];
    expect(st.map((r) => [r.node, r.type, r.error])).toEqual([
      ['td_branch', 'root', null], ['td_root', 'branch', 'node is tagged dead'], ['td_bleaf1', 'leaf', null],
    ]);
    expect((await ok(branch, 'drop-node', ['td_root'])).log).toEqual(['INFO Node "td_root" dropped']);
    expect((await sql(branch.db, 'select member_name from lambdiste.member order by 1')).map((r) => r.member_name)).toEqual(['td_bleaf1', 'td_branch']);
  }, 240_000);
});
