import type pg from 'pg';
import { connect, redactUrl } from '../db/connect.ts';
import { install } from '../install.ts';
import type { CommandContext, CommandOptions, LogFn } from './types.ts';

/** A node as a command sees it: its own database and, for a leaf, its provider's. */
export interface NodeSession {
  queue: string;
  db: pg.Client;
  /** This database's node row, or null before create-root/create-leaf. */
  node: NodeRow | null;
  /** The provider's database (leaf only), connected on first use. */
  provider(): Promise<pg.Client>;
}

export type NodeType = 'root' | 'branch' | 'leaf';

export interface NodeRow {
  name: string;
  type: NodeType;
  location: string | null;
  providerUrl: string | null;
  consumer: string | null;
}

export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** `--timeout=SECONDS` (default 600) in ms; anything but a number of seconds is refused. */
export function timeoutMs(options: CommandOptions): number {
  const t = Number(options.timeout ?? 600);
  if (!Number.isFinite(t) || t < 0) throw new CommandError(`--timeout must be a number of seconds, not ${options.timeout}`);
  return t * 1000;
}

/** With -v, every statement sent on `client` is logged at DEBUG first. */
export function traceQueries(client: pg.Client, log: LogFn): pg.Client {
  const query = client.query.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...args: unknown[]) => {
    const q = args[0] as string | { text?: string };
    const text = typeof q === 'string' ? q : q?.text;
    if (text) log('DEBUG', text.replace(/\s+/g, ' ').trim());
    return query(...args);
  };
  return client;
}

/** A connection for a command; `applicationName` names it in pg_stat_activity (daemons use their job name). */
export async function openClient(ctx: CommandContext, url: string, applicationName?: string): Promise<pg.Client> {
  const c = await connect(url, { applicationName });
  return ctx.verbose ? traceQueries(c, ctx.log) : c;
}

export async function readNode(db: pg.ClientBase, queue: string): Promise<NodeRow | null> {
  const { rows } = await db.query(
    `select node_name, node_type, node_location, node_provider, node_consumer
       from lambdiste.node where node_queue = $1`,
    [queue],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    name: r.node_name,
    type: r.node_type,
    location: r.node_location,
    providerUrl: r.node_provider,
    consumer: r.node_consumer,
  };
}

/** Whether Lambdiste's replication schema is installed in this database. */
async function hasSchema(db: pg.ClientBase): Promise<boolean> {
  const { rows } = await db.query(`select to_regclass('lambdiste.node') is not null as ok`);
  return rows[0].ok;
}

/** This database's node for `queue`, or null (also when Lambdiste is not installed here). */
export async function findNode(db: pg.ClientBase, queue: string): Promise<NodeRow | null> {
  return (await hasSchema(db)) ? readNode(db, queue) : null;
}

/**
 * Opens the node's database (installing or upgrading the schemas when
 * `installSchemas`), runs `fn`, and closes every connection it opened.
 */
export async function withNodeSession<T>(
  ctx: CommandContext,
  fn: (s: NodeSession) => Promise<T>,
  opts: { installSchemas?: boolean; providerUrl?: string } = {},
): Promise<T> {
  const db = await openClient(ctx, ctx.config.db);
  let provider: pg.Client | null = null;
  try {
    if (opts.installSchemas) await install(db);
    const node = await findNode(db, ctx.config.queueName);
    const session: NodeSession = {
      queue: ctx.config.queueName,
      db,
      node,
      provider: async () => {
        if (provider) return provider;
        const url = opts.providerUrl ?? ctx.config.settings.provider_db ?? node?.providerUrl;
        if (!url) throw new CommandError('This node has no provider');
        provider = await openClient(ctx, url);
        return provider;
      },
    };
    return await fn(session);
  } finally {
    await db.end().catch(() => undefined);
    if (provider) await (provider as pg.Client).end().catch(() => undefined);
  }
}

/**
 * The node, or a clear error telling the user what to run first. `type`
 * 'subscriber' accepts a branch or a leaf.
 */
export function requireNode(s: Pick<NodeSession, 'node' | 'queue'>, type?: NodeType | 'subscriber'): NodeRow {
  if (!s.node) {
    throw new CommandError(`No node for queue "${s.queue}" in this database: run create-root or create-leaf first`);
  }
  const fits = type === undefined || (type === 'subscriber' ? s.node.type !== 'root' : s.node.type === type);
  if (!fits) {
    const what = type === 'subscriber' ? 'a branch or a leaf' : `a ${type}`;
    throw new CommandError(`Node "${s.node.name}" is a ${s.node.type}; this command needs ${what}`);
  }
  return s.node;
}

export { redactUrl };
