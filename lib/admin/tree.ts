/**
 * The queue's nodes as a tree: the member list (lambdiste.member, the
 * root's original or a subscriber's copy of it) and the way up from a
 * node to its root, through the providers' connect strings.
 */
import type pg from 'pg';
import { redactUrl } from '../db/connect.ts';
import { CommandError, openClient, readNode, type NodeRow, type NodeType } from './session.ts';
import type { CommandContext } from './types.ts';

export interface Member {
  name: string;
  type: NodeType;
  location: string | null;
  provider: string | null;
  consumer: string | null;
  dead: boolean;
}

export async function readMembers(db: pg.ClientBase, queue: string): Promise<Member[]> {
  const { rows } = await db.query(
    `select member_name, member_type, member_location, member_provider, member_consumer, member_dead
       from lambdiste.member where member_queue = $1
      order by member_type <> 'root', member_type <> 'branch', member_name`,
    [queue],
  );
  return rows.map((r) => ({
    name: r.member_name, type: r.member_type, location: r.member_location,
    provider: r.member_provider, consumer: r.member_consumer, dead: r.member_dead,
  }));
}

/** A member by name, or a one-line error naming the known ones. */
export function memberNamed(members: Member[], name: string): Member {
  const m = members.find((x) => x.name === name);
  if (!m) throw new CommandError(`Unknown node "${name}" (members: ${members.map((x) => x.name).join(', ')})`);
  return m;
}

/** The members below `name` (its subscribers, theirs, ...). */
export function descendants(members: Member[], name: string): Member[] {
  const out: Member[] = [];
  const seen = new Set<string>([name]);
  for (let frontier = [name]; frontier.length; ) {
    const next: string[] = [];
    for (const m of members) {
      if (m.provider !== null && frontier.includes(m.provider) && !seen.has(m.name)) {
        seen.add(m.name);
        out.push(m);
        next.push(m.name);
      }
    }
    frontier = next;
  }
  return out;
}

export interface RootHandle {
  db: pg.ClientBase;
  node: NodeRow;
  close(): Promise<void>;
}

/**
 * The root of the queue, found from `start` (a node's database) by
 * following providers upwards; `start` itself when it is the root (it is
 * then not closed by close()). A loop in the providers is an error.
 */
export async function openRoot(ctx: CommandContext, start: pg.ClientBase, startNode: NodeRow, queue: string): Promise<RootHandle> {
  let db = start;
  let node = startNode;
  const opened: pg.Client[] = [];
  const close = async () => {
    for (const c of opened) await c.end().catch(() => undefined);
  };
  try {
    const seen = new Set<string>();
    while (node.type !== 'root') {
      if (seen.has(node.name)) throw new CommandError(`The providers of queue "${queue}" make a loop at node "${node.name}"`);
      seen.add(node.name);
      if (!node.providerUrl) throw new CommandError(`Node "${node.name}" has no provider`);
      const next = await openClient(ctx, node.providerUrl);
      opened.push(next);
      const up = await readNode(next, queue);
      if (!up) throw new CommandError(`Provider ${redactUrl(node.providerUrl)} of node "${node.name}" is not a node of queue "${queue}"`);
      db = next;
      node = up;
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { db, node, close };
}
