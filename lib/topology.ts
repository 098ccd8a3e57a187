/**
 * The deployed replication topology: which nodes exist, their roles and
 * how to reach them. One JSON document, from the LAMBDISTE_NODES
 * environment variable or the SSM parameter named by
 * LAMBDISTE_NODES_PARAMETER, validated once at cold start:
 *
 *   { "nodes": [
 *       { "name": "src", "type": "root", "queue": "replika", "secretArn": "arn:aws:secretsmanager:..." },
 *       { "name": "br1", "type": "branch", "queue": "replika", "provider": "src", "db": "postgres://..." },
 *       { "name": "dst1", "type": "leaf", "queue": "replika", "provider": "br1", "db": "postgres://..." } ] }
 *
 * A branch has a consumer (reading from its provider and feeding its own
 * queue) and a ticker (its queue's maintenance, and waking its own
 * subscribers' consumers); a leaf has a consumer; the root a ticker.
 * A node's database is `db` (a URL, fine for local runs) or `secretArn`
 * (AWS Secrets Manager: a URL string, or RDS-style JSON with
 * username/password/host/port/dbname), fetched and cached by Powertools.
 */
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import { getParameter } from '@aws-lambda-powertools/parameters/ssm';

export interface NodeSpec {
  name: string;
  type: 'root' | 'branch' | 'leaf';
  queue: string;
  db?: string;
  secretArn?: string;
  /** Branch or leaf: the name of the node it replicates from (the root or a branch). */
  provider?: string;
}

export interface Topology {
  nodes: NodeSpec[];
  node(name: string): NodeSpec;
  /** A subscriber's (branch or leaf) provider node: the root or a branch. */
  providerOf(subscriber: NodeSpec): NodeSpec;
  /** The nodes that read from a root or a branch. */
  subscribersOf(provider: NodeSpec): NodeSpec[];
  /** Same as subscribersOf (the name from before branches). */
  leavesOf(root: NodeSpec): NodeSpec[];
}

export class TopologyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TopologyError';
  }
}

const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Parses and validates a topology document; every problem is named with the node it concerns. */
export function parseTopology(text: string, source: string): Topology {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TopologyError(`${source}: not valid JSON (${(err as Error).message})`);
  }
  const list = (doc as { nodes?: unknown })?.nodes;
  if (!Array.isArray(list) || list.length === 0) throw new TopologyError(`${source}: expected {"nodes": [...]} with at least one node`);
  const nodes: NodeSpec[] = list.map((n: Record<string, unknown>, i) => {
    const where = `${source}: node ${isString(n?.name) ? `"${n.name}"` : `#${i + 1}`}`;
    if (typeof n !== 'object' || n === null) throw new TopologyError(`${where}: must be an object`);
    const known = new Set(['name', 'type', 'queue', 'db', 'secretArn', 'provider']);
    for (const k of Object.keys(n)) if (!known.has(k)) throw new TopologyError(`${where}: unknown key "${k}"`);
    if (!isString(n.name)) throw new TopologyError(`${where}: "name" is required`);
    if (n.type !== 'root' && n.type !== 'branch' && n.type !== 'leaf') throw new TopologyError(`${where}: "type" must be "root", "branch" or "leaf"`);
    if (!isString(n.queue)) throw new TopologyError(`${where}: "queue" is required`);
    if (!isString(n.db) && !isString(n.secretArn)) throw new TopologyError(`${where}: needs "db" or "secretArn"`);
    if (n.type !== 'root' && !isString(n.provider)) throw new TopologyError(`${where}: a ${n.type} needs "provider"`);
    if (n.type === 'root' && n.provider !== undefined) throw new TopologyError(`${where}: a root has no "provider"`);
    return n as unknown as NodeSpec;
  });
  const byName = new Map<string, NodeSpec>();
  for (const n of nodes) {
    if (byName.has(n.name)) throw new TopologyError(`${source}: node "${n.name}" is listed twice`);
    byName.set(n.name, n);
  }
  const roots = new Map<string, string>();
  for (const n of nodes.filter((x) => x.type === 'root')) {
    if (roots.has(n.queue)) throw new TopologyError(`${source}: queue "${n.queue}" has two roots: "${roots.get(n.queue)}" and "${n.name}"`);
    roots.set(n.queue, n.name);
  }
  for (const n of nodes.filter((x) => x.type !== 'root')) {
    const p = byName.get(n.provider!);
    if (!p) throw new TopologyError(`${source}: node "${n.name}": provider "${n.provider}" is not a node`);
    if (p.type === 'leaf' || p.queue !== n.queue) {
      throw new TopologyError(`${source}: node "${n.name}": provider "${n.provider}" is not the root or a branch of queue "${n.queue}"`);
    }
  }
  // Up from every subscriber, providers must end at the root.
  for (const n of nodes.filter((x) => x.type !== 'root')) {
    const seen = new Set<string>();
    for (let p: NodeSpec = n; p.type !== 'root'; p = byName.get(p.provider!)!) {
      if (seen.has(p.name)) throw new TopologyError(`${source}: node "${n.name}": its providers make a cycle (${[...seen].join(' → ')} → ${p.name})`);
      seen.add(p.name);
    }
  }
  return {
    nodes,
    node(name) {
      const n = byName.get(name);
      if (!n) throw new TopologyError(`Unknown node "${name}" (known: ${[...byName.keys()].join(', ')})`);
      return n;
    },
    providerOf(subscriber) {
      return byName.get(subscriber.provider!)!;
    },
    subscribersOf(provider) {
      return nodes.filter((n) => n.type !== 'root' && n.provider === provider.name);
    },
    leavesOf(root) {
      return nodes.filter((n) => n.type !== 'root' && n.provider === root.name);
    },
  };
}

/** Reads the topology from the environment (or the SSM parameter it names). */
export async function loadTopology(env: NodeJS.ProcessEnv = process.env): Promise<Topology> {
  if (env.LAMBDISTE_NODES) return parseTopology(env.LAMBDISTE_NODES, 'LAMBDISTE_NODES');
  if (env.LAMBDISTE_NODES_PARAMETER) {
    const text = await getParameter(env.LAMBDISTE_NODES_PARAMETER, { decrypt: true, maxAge: 300 });
    if (!text) throw new TopologyError(`SSM parameter ${env.LAMBDISTE_NODES_PARAMETER} is empty`);
    return parseTopology(text, `SSM parameter ${env.LAMBDISTE_NODES_PARAMETER}`);
  }
  throw new TopologyError('No topology: set LAMBDISTE_NODES (JSON) or LAMBDISTE_NODES_PARAMETER (an SSM parameter name)');
}

/** Turns a Secrets Manager value (URL, or RDS-style JSON) into a connection URL. */
export function secretToUrl(value: string, arn: string): string {
  if (/^postgres(ql)?:\/\//.test(value.trim())) return value.trim();
  let s: Record<string, unknown>;
  try {
    s = JSON.parse(value);
  } catch {
    throw new TopologyError(`Secret ${arn} is neither a postgres:// URL nor JSON`);
  }
  for (const k of ['username', 'password', 'host']) {
    if (!isString(s[k])) throw new TopologyError(`Secret ${arn} lacks "${k}"`);
  }
  const u = new URL('postgres://localhost');
  u.username = encodeURIComponent(s.username as string);
  u.password = encodeURIComponent(s.password as string);
  u.hostname = s.host as string;
  u.port = String(s.port ?? 5432);
  u.pathname = '/' + encodeURIComponent(String(s.dbname ?? 'postgres'));
  return u.toString();
}

/** The connection URL of a node: its `db`, or its secret (cached for 5 minutes). */
export async function nodeUrl(node: NodeSpec): Promise<string> {
  if (node.db) return node.db;
  const value = await getSecret(node.secretArn!, { maxAge: 300 });
  if (typeof value !== 'string') throw new TopologyError(`Secret ${node.secretArn} has no string value`);
  return secretToUrl(value, node.secretArn!);
}
