import pg from 'pg';
import { runCommand } from '../../lib/admin/index.ts';
import type { CommandOptions, LogLevel, NodeConfig, ResultTable } from '../../lib/admin/types.ts';
import { connect } from '../../lib/db/connect.ts';
import { runConsumer, type ConsumerRun } from '../../lib/replica/consumer.ts';
import { createDatabase } from './db.ts';

export interface CommandRun {
  exitCode: number;
  /** `LEVEL message` lines, in order. */
  log: string[];
  tables: ResultTable[];
  lines?: string[];
  data?: unknown;
}

/** Runs an admin command as the CLI would, capturing its log lines. */
export async function run(config: NodeConfig, command: string, args: string[] = [], options: CommandOptions = {}): Promise<CommandRun> {
  const log: string[] = [];
  const r = await runCommand(
    { config, log: (level: LogLevel, message: string) => log.push(`${level} ${message}`), verbose: false },
    command, args, options,
  );
  return { ...r, log };
}

export function nodeConfig(jobName: string, db: string, queueName = 'replika'): NodeConfig {
  return { jobName, db, queueName, settings: {} };
}

/** A root database on the provider server and `leaves` databases on the subscriber server. */
export async function makeCluster(prefix: string, leaves = 1): Promise<{ root: NodeConfig; leaves: NodeConfig[] }> {
  const root = nodeConfig(`src_${prefix}`, await createDatabase('provider', `${prefix}_src`));
  const out: NodeConfig[] = [];
  for (let i = 1; i <= leaves; i++) out.push(nodeConfig(`dst${i}_${prefix}`, await createDatabase('subscriber', `${prefix}_dst${i}`)));
  return { root, leaves: out };
}

/**
 * A root and one leaf replicating `table`, which `ddl` creates on both
 * (then `rootSql` runs on the root before the leaf copies), in sync.
 */
export async function replicatedPair(prefix: string, ddl: string, table: string, rootSql = ''): Promise<{ root: NodeConfig; leaf: NodeConfig }> {
  const { root, leaves: [leaf] } = await makeCluster(prefix, 1);
  await sql(root.db, ddl + (rootSql ? `; ${rootSql}` : ''));
  await sql(leaf!.db, ddl);
  const steps: [NodeConfig, string, string[], CommandOptions?][] = [
    [root, 'create-root', [root.jobName]],
    [root, 'add-table', [table]],
    [leaf!, 'create-leaf', [leaf!.jobName], { provider: root.db }],
    [leaf!, 'add-table', [table]],
  ];
  for (const [node, command, args, options] of steps) {
    const r = await run(node, command, args, options);
    if (r.exitCode !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${r.log.join('\n')}`);
  }
  await syncLeaf(root, leaf!);
  return { root, leaf: leaf! };
}

/** Closes a batch on the root right now, whatever the ticker settings. */
export async function tick(root: NodeConfig): Promise<void> {
  const db = await connect(root.db);
  try {
    await db.query(`select pgq.force_tick($1)`, [root.queueName]);
    await db.query(`select pgq.ticker($1)`, [root.queueName]);
  } finally {
    await db.end();
  }
}

/** One consumer run for a leaf, with a generous deadline. */
export async function consume(root: NodeConfig, leaf: NodeConfig, extra: Partial<Parameters<typeof runConsumer>[0]> = {}): Promise<ConsumerRun> {
  return runConsumer({
    queue: leaf.queueName,
    consumer: leaf.jobName,
    providerUrl: root.db,
    subscriberUrl: leaf.db,
    deadline: Date.now() + 30_000,
    chunkRows: 1000,
    ...extra,
  });
}

/** Ticks and consumes until every table of the leaf is ok and no batch is left (bounded). */
export async function syncLeaf(root: NodeConfig, leaf: NodeConfig, rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await tick(root);
    const r = await consume(root, leaf);
    if (!r.moreWork && r.pendingTables === 0 && i > 0) {
      await tick(root);
      await consume(root, leaf);
      return;
    }
  }
  throw new Error(`leaf ${leaf.jobName} did not converge in ${rounds} rounds`);
}

/** One query, one client. */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const db = await connect(url, { serverDefaults: true });
  try {
    return (await db.query<T>(text, params)).rows;
  } finally {
    await db.end();
  }
}

/** Row-for-row fingerprint of a table: count and md5 of its rows in key order. */
export async function checksum(url: string, table: string, orderBy = '_lambdiste_row_::text'): Promise<string> {
  const db = await connect(url, { serverDefaults: true });
  try {
    // Text forms of timestamptz depend on the session's zone: compare in one zone.
    await db.query(`set timezone = 'UTC'`);
    const { rows } = await db.query(
      `select count(*) as n, md5(coalesce(string_agg(_lambdiste_row_::text, '|' order by ${orderBy}), '')) as h from ${table} _lambdiste_row_`,
    );
    return `${rows[0].n}:${rows[0].h}`;
  } finally {
    await db.end();
  }
}
