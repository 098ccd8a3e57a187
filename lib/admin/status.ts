import type pg from 'pg';
import { getConsumerInfo, getQueueInfo, type ConsumerInfo, type QueueInfo } from '../queue/api.ts';
import { connect } from '../db/connect.ts';
import { readConsumerErrors, type ConsumerError } from '../replica/consumer-error.ts';
import { isPaused } from '../replica/consumer.ts';
import { requireNode, withNodeSession, type NodeSession } from './session.ts';
import { descendants, openRoot, readMembers, type Member } from './tree.ts';
import type { CommandContext, CommandResult, ResultTable } from './types.ts';

interface NodeState {
  /** Tables as londiste3 counts them: ok / half-way / not yet copied. */
  tables: string;
  /** Why the node's consumer is failing, if it is. */
  failing: ConsumerError | undefined;
  /** Its consumer is paused (pause). */
  paused: boolean;
}

/** What `status` shows of a node, read from its own database. */
async function nodeState(db: pg.ClientBase, queue: string, consumer: string | null): Promise<NodeState> {
  const { rows } = await db.query(
    `select count(*) filter (where merge_state = 'ok') as ok,
            count(*) filter (where merge_state in ('in-copy', 'catching-up')) as half,
            count(*) filter (where merge_state is null) as waiting
       from lambdiste.get_table_list($1)`,
    [queue],
  );
  const failing = consumer === null ? undefined : (await readConsumerErrors(db, queue)).find((e) => e.consumer === consumer);
  return { tables: `${rows[0].ok}/${rows[0].half}/${rows[0].waiting}`, failing, paused: await isPaused(db, queue) };
}

/** One node as status and node-status show it. */
export interface NodeReport {
  member: Member;
  depth: number;
  tables: string | null;
  /** Seconds behind the root's newest tick (the root: since its last tick). */
  lag: number | null;
  tick: number | null;
  pending: number | null;
  /** The node (or its provider) could not be reached. */
  error: string | null;
  failing: ConsumerError | undefined;
  /** Its consumer is paused (pause). */
  paused: boolean;
}

/**
 * The queue's member list as the root has it (this node's copy when the
 * root cannot be reached), and each member's state: tables from its own
 * database, lag, tick and pending events from its provider's queue (the
 * root's: its ticker's). Tick times are the root's on every node, so a
 * subscriber's lag is how far it is behind the root wherever it reads.
 */
export async function gatherTree(ctx: CommandContext, s: NodeSession): Promise<{ members: Member[]; reports: NodeReport[] }> {
  const node = requireNode(s);
  let members: Member[];
  try {
    const root = await openRoot(ctx, s.db, node, s.queue);
    try {
      members = await readMembers(root.db, s.queue);
    } finally {
      await root.close();
    }
  } catch {
    members = await readMembers(s.db, s.queue);
  }
  if (!members.some((m) => m.name === node.name)) {
    members.push({ name: node.name, type: node.type, location: ctx.config.db, provider: null, consumer: node.consumer, dead: false });
  }
  const urlOf = (m: Member) => (m.name === node.name ? ctx.config.db : m.location);
  const clients = new Map<string, Promise<pg.Client>>();
  const open = (url: string) => {
    let c = clients.get(url);
    if (!c) {
      c = connect(url);
      c.catch(() => undefined);
      clients.set(url, c);
    }
    return c;
  };
  const queues = new Map<string, Promise<{ queue: QueueInfo | undefined; consumers: Map<string, ConsumerInfo> }>>();
  const queueOf = (url: string) => {
    let q = queues.get(url);
    if (!q) {
      q = (async () => {
        const db = await open(url);
        const [queue] = await getQueueInfo(db, s.queue);
        return { queue, consumers: new Map((await getConsumerInfo(db, s.queue)).map((c) => [c.consumerName, c])) };
      })();
      q.catch(() => undefined);
      queues.set(url, q);
    }
    return q;
  };
  const byName = new Map(members.map((m) => [m.name, m]));
  const reports: NodeReport[] = [];
  const visit = async (m: Member, depth: number) => {
    const r: NodeReport = { member: m, depth, tables: null, lag: null, tick: null, pending: null, error: null, failing: undefined, paused: false };
    reports.push(r);
    if (m.dead) {
      r.error = 'node is tagged dead';
    } else {
      try {
        const url = urlOf(m);
        if (!url) throw new Error('no location known');
        const state = await nodeState(await open(url), s.queue, m.type === 'root' ? null : m.consumer);
        r.tables = state.tables;
        r.failing = state.failing;
        r.paused = state.paused;
        if (m.type === 'root') {
          const { queue } = await queueOf(url);
          r.lag = queue?.tickerLag ?? null;
          r.tick = queue?.lastTickId ?? null;
          r.pending = queue?.evNew ?? null;
        } else {
          const p = m.provider ? byName.get(m.provider) : undefined;
          const purl = p && urlOf(p);
          if (purl && m.consumer) {
            const c = (await queueOf(purl)).consumers.get(m.consumer);
            r.lag = c?.lag ?? null;
            r.tick = c?.lastTick ?? null;
            r.pending = c?.pendingEvents ?? null;
          }
        }
      } catch (err) {
        r.error = (err as Error).message;
      }
    }
    for (const child of members.filter((x) => x.provider === m.name && x.type !== 'root')) await visit(child, depth + 1);
  };
  try {
    const tops = members.filter((m) => m.type === 'root' || !m.provider || !byName.has(m.provider));
    for (const top of tops) await visit(top, 0);
  } finally {
    for (const c of clients.values()) await c.then((db) => db.end()).catch(() => undefined);
  }
  return { members, reports };
}

const seconds = (lag: number | null) => (lag === null ? null : `${Math.round(lag)}s`);

/** londiste3's info lines of a node: tables, lag and tick, errors. */
function infoLines(r: NodeReport): string[] {
  const name = r.member.name;
  const lines: string[] = [];
  if (r.error) lines.push(`ERR: ${name}: ${r.error}`);
  else lines.push(`Tables: ${r.tables ?? '?'}  Lag: ${seconds(r.lag) ?? '?'}, Tick: ${r.tick ?? '?'}, Pending: ${r.pending ?? '?'}${r.paused ? ', Paused' : ''}`);
  if (r.failing) {
    // londiste3 shows the first line of a consumer's error.
    const when = `${r.failing.since.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
    const n = r.failing.attempts;
    lines.push(`ERR: ${name}: ${r.failing.message.split('\n')[0]} (failing since ${when}, ${n} attempt${n === 1 ? '' : 's'})`);
  }
  return lines;
}

/**
 * status: the queue's nodes as a londiste3-style tree (the root, its
 * subscribers under it, a branch's under the branch), each with its tables
 * (ok/copying/waiting), lag behind the root's newest tick, last tick and
 * pending events; a node that cannot be reached gets an ERR line instead.
 * A subscriber whose consumer is failing gets an ERR line too, under its
 * own, as londiste3 shows a consumer's error: the last error and since
 * when its rounds have been failing. The same facts are returned as data
 * for the admin function, one row per node in tree order.
 */
export async function status(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const { reports } = await gatherTree(ctx, s);
    const columns = ['node', 'type', 'provider', 'depth', 'tables', 'lag', 'tick', 'pending', 'error', 'last_error', 'error_since', 'error_attempts', 'paused'];
    for (const r of reports) {
      const d = r.depth;
      ctx.log('INFO', `${d === 0 ? '' : '    '.repeat(d - 1) + '  +--'}${r.member.name} (${r.member.type})`);
      const pad = d === 0 ? '  ' : '    '.repeat(d - 1) + '      ';
      for (const line of infoLines(r)) ctx.log('INFO', pad + line);
    }
    const table: ResultTable = {
      title: `Queue ${s.queue}`,
      columns,
      rows: reports.map((r) => [
        r.member.name, r.member.type, r.member.provider, r.depth, r.tables, seconds(r.lag), r.tick, r.pending, r.error,
        r.failing?.message ?? null, r.failing?.since.toISOString() ?? null, r.failing?.attempts ?? null, r.paused,
      ]),
    };
    return {
      exitCode: 0,
      tables: [],
      data: table.rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))),
    };
  });
}

/**
 * node-status: this node as londiste3 shows it: its title, provider,
 * subscribers, then its info lines.
 */
export async function nodeStatus(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    const { members, reports } = await gatherTree(ctx, s);
    const me = reports.find((r) => r.member.name === node.name)!;
    const subscribers = members.filter((m) => m.provider === node.name && m.type !== 'root').map((m) => m.name);
    const provider = node.type === 'root' ? null : (me.member.provider ?? null);
    ctx.log('INFO', `${node.name} (${node.type})`);
    ctx.log('INFO', `    Provider: ${provider ?? 'None'}`);
    ctx.log('INFO', `    Subscribers: ${subscribers.join(', ')}`);
    for (const line of infoLines(me)) ctx.log('INFO', `    ${line}`);
    return {
      exitCode: 0,
      tables: [],
      data: {
        node: node.name, type: node.type, provider, subscribers, below: descendants(members, node.name).map((m) => m.name),
        tables: me.tables, lag: seconds(me.lag), tick: me.tick, pending: me.pending, error: me.error,
      },
    };
  });
}
