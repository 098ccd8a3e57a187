import { getConsumerInfo, getQueueInfo } from '../queue/api.ts';
import { connect } from '../db/connect.ts';
import { readConsumerErrors, type ConsumerError } from '../replica/consumer-error.ts';
import { requireNode, withNodeSession } from './session.ts';
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
async function nodeState(url: string, queue: string, consumer: string | null): Promise<NodeState> {
  const db = await connect(url);
  try {
    const { rows } = await db.query(
      `select count(*) filter (where merge_state = 'ok') as ok,
              count(*) filter (where merge_state in ('in-copy', 'catching-up')) as half,
              count(*) filter (where merge_state is null) as waiting
         from lambdiste.get_table_list($1)`,
      [queue],
    );
    const failing = consumer === null ? undefined : (await readConsumerErrors(db, queue)).find((e) => e.consumer === consumer);
    const { rows: [n] } = await db.query('select node_paused from lambdiste.node where node_queue = $1', [queue]);
    return { tables: `${rows[0].ok}/${rows[0].half}/${rows[0].waiting}`, failing, paused: n?.node_paused === true };
  } finally {
    await db.end().catch(() => undefined);
  }
}

/**
 * status: the queue's nodes as a londiste3-style tree (root, then its
 * leaves), each with its tables (ok/copying/waiting), lag behind the
 * newest tick, last tick and pending events; a node that cannot be
 * reached gets an ERR line instead. A leaf whose consumer is failing gets
 * an ERR line too, under its own, as londiste3 shows a consumer's error:
 * the last error and since when its rounds have been failing. The same
 * facts are returned as data for the admin function.
 */
export async function status(ctx: CommandContext): Promise<CommandResult> {
  return withNodeSession(ctx, async (s) => {
    const node = requireNode(s);
    const root = node.type === 'root' ? s.db : await s.provider();
    const rootUrl = node.type === 'root' ? ctx.config.db : (ctx.config.settings.provider_db ?? node.providerUrl!);
    const [queue] = await getQueueInfo(root, s.queue);
    const consumers = new Map((await getConsumerInfo(root, s.queue)).map((c) => [c.consumerName, c]));
    const { rows: members } = await root.query(
      `select member_name, member_type, member_location, member_consumer from lambdiste.member
        where member_queue = $1 order by member_type <> 'root', member_name`,
      [s.queue],
    );
    const table: ResultTable = {
      title: `Queue ${s.queue}`,
      columns: ['node', 'type', 'tables', 'lag', 'tick', 'pending', 'error', 'last_error', 'error_since', 'error_attempts', 'paused'],
      rows: [],
    };
    for (const m of members) {
      const c = m.member_consumer ? consumers.get(m.member_consumer) : undefined;
      const url = m.member_type === 'root' ? rootUrl : m.member_name === node.name ? ctx.config.db : m.member_location;
      let state: NodeState | undefined;
      let error: string | null = null;
      if (url) {
        try {
          state = await nodeState(url, s.queue, m.member_type === 'leaf' ? m.member_consumer : null);
        } catch (err) {
          error = (err as Error).message;
        }
      }
      const failing = state?.failing;
      const lag = m.member_type === 'root' ? queue!.tickerLag : (c?.lag ?? null);
      table.rows.push([
        m.member_name, m.member_type, state?.tables ?? null,
        lag === null ? null : `${Math.round(lag)}s`,
        m.member_type === 'root' ? queue!.lastTickId : (c?.lastTick ?? null),
        m.member_type === 'root' ? queue!.evNew : (c?.pendingEvents ?? null),
        error,
        failing?.message ?? null,
        failing?.since.toISOString() ?? null,
        failing?.attempts ?? null,
        state?.paused ?? false,
      ]);
    }
    for (const [i, r] of table.rows.entries()) {
      const [name, type, tables, lag, tick, pending, error, lastError, since, attempts, paused] = r;
      const indent = i === 0 ? '' : '  +--';
      ctx.log('INFO', `${indent}${name} (${type})`);
      const pad = i === 0 ? '  ' : '      ';
      if (error) ctx.log('INFO', `${pad}ERR: ${name}: ${error}`);
      else ctx.log('INFO', `${pad}Tables: ${tables ?? '?'}  Lag: ${lag ?? '?'}, Tick: ${tick ?? '?'}, Pending: ${pending ?? '?'}${paused ? ', Paused' : ''}`);
      if (lastError) {
        // londiste3 shows the first line of a consumer's error.
        const when = `${String(since).slice(0, 19).replace('T', ' ')} UTC`;
        ctx.log('INFO', `${pad}ERR: ${name}: ${String(lastError).split('\n')[0]} (failing since ${when}, ${attempts} attempt${attempts === 1 ? '' : 's'})`);
      }
    }
    return {
      exitCode: 0,
      tables: [],
      data: table.rows.map((r) => Object.fromEntries(table.columns.map((c, i) => [c, r[i]]))),
    };
  });
}
