/**
 * Driving a cascade in tests: each node does one round of what its worker
 * would (the root ticks; a branch or a leaf runs its consumer, reading its
 * provider from its own node row, so change-provider and takeover take
 * effect as they would for a worker), and `settle` runs rounds until every
 * subscriber has applied the root's last tick with all its tables in sync.
 */
import type pg from 'pg';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { readNode } from '../../lib/admin/session.ts';
import { connect } from '../../lib/db/connect.ts';
import { runConsumer } from '../../lib/replica/consumer.ts';

export interface NodeNow {
  name: string;
  type: 'root' | 'branch' | 'leaf';
  provider: string | null;
  /** The subscriber's position (its last applied tick); the root's last tick. */
  tick: number;
  tablesNotOk: number;
}

export async function nodeNow(n: NodeConfig): Promise<NodeNow> {
  const db = await connect(n.db);
  try {
    const node = (await readNode(db, n.queueName))!;
    const { rows } = await db.query(
      `select (select coalesce(max(t.tick_id), 0) from pgq.tick t join pgq.queue q on q.queue_id = t.tick_queue where q.queue_name = $1) as last,
              (select app_tick from lambdiste.applied where app_queue = $1 and app_consumer = $2) as pos,
              (select count(*) from lambdiste.table_info where tbl_queue = $1 and tbl_merge_state is distinct from 'ok') as not_ok`,
      [n.queueName, node.consumer ?? node.name],
    );
    const r = rows[0];
    return {
      name: node.name, type: node.type, provider: node.providerUrl,
      tick: Number(node.type === 'root' ? r.last : r.pos), tablesNotOk: Number(r.not_ok),
    };
  } finally {
    await db.end();
  }
}

/**
 * Connections kept between rounds, as a worker keeps them (by URL and
 * use); one that failed is closed and opened again next time.
 */
const kept = new Map<string, Promise<pg.Client>>();
function keptClient(url: string, use: 'main' | 'lock'): Promise<pg.Client> {
  const key = `${use} ${url}`;
  let c = kept.get(key);
  if (!c) {
    c = connect(url);
    kept.set(key, c);
  }
  return c;
}

async function dropKept(urls: string[]): Promise<void> {
  for (const [key, c] of kept) {
    if (urls.some((u) => key.endsWith(` ${u}`))) {
      kept.delete(key);
      await c.then((db) => db.end()).catch(() => undefined);
    }
  }
}

/** Closes the connections `step` kept. */
export async function closeKept(): Promise<void> {
  const all = [...kept.values()];
  kept.clear();
  for (const c of all) await c.then((db) => db.end()).catch(() => undefined);
}

/** One round of a node's work; `force` makes the root tick whatever its settings. */
export async function step(n: NodeConfig, force = false): Promise<void> {
  const urls = [n.db];
  try {
    const db = await keptClient(n.db, 'main');
    const node = (await readNode(db, n.queueName))!;
    if (node.type === 'root') {
      if (force) await db.query('select pgq.force_tick($1)', [n.queueName]);
      // Every queue that is due, skipping a paused one (a takeover pauses the old root's).
      await db.query('select pgq.ticker()');
      return;
    }
    urls.push(node.providerUrl!);
    await runConsumer({
      queue: n.queueName, consumer: node.consumer ?? node.name, providerUrl: node.providerUrl!, subscriberUrl: n.db,
      provider: await keptClient(node.providerUrl!, 'main'), subscriber: db, lock: await keptClient(n.db, 'lock'),
      branch: node.type === 'branch', deadline: Date.now() + 30_000, chunkRows: 1000,
    });
  } catch (err) {
    await dropKept(urls);
    throw err;
  }
}

/**
 * Ticks the root once, then runs rounds (subscribers in the order given:
 * providers first) until each has applied the root's last tick with every
 * table ok; bounded in rounds, not in time.
 */
export async function settle(nodes: NodeConfig[], rounds = 80): Promise<void> {
  let last = '';
  for (let i = 0; i < rounds; i++) {
    const now = await Promise.all(nodes.map(nodeNow));
    const root = now.find((x) => x.type === 'root')!;
    const rootNode = nodes[now.indexOf(root)]!;
    if (i === 0 || i % 10 === 0) {
      await step(rootNode, true);
      continue;
    }
    const behind = now.filter((x) => x.type !== 'root' && (x.tick < root.tick || x.tablesNotOk > 0));
    if (behind.length === 0) return;
    last = behind.map((x) => `${x.name}@${x.tick}/${root.tick} (${x.tablesNotOk} not ok)`).join(', ');
    for (const [j, n] of nodes.entries()) if (now[j]!.type !== 'root') await step(n);
  }
  throw new Error(`the cascade did not settle: ${last}`);
}
