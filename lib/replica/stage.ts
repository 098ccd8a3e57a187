import type pg from 'pg';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { cancelQuery } from '../db/cancel.ts';
import { SET_LOCAL_SETTINGS } from '../db/connect.ts';
import { copyRowRuns, HEADER, TRAILER, type CopyRow } from './binary-copy.ts';

/**
 * A batch's events go from the provider to the subscriber as they are:
 * one binary COPY out of the provider's event tables, streamed into the
 * subscriber's staging table (pg_temp.lambdiste_batch, see
 * lambdiste.staging_table), where set-based statements apply them. Node
 * only finds where each row of the stream ends: it decodes no event. The
 * stream is cut into chunks (bounded in events and bytes, so that no
 * statement works on more than a chunk); each chunk is applied, and the
 * staging table emptied, before the next one is staged.
 */
export interface StagedChunk {
  events: number;
  /** The last event id of the chunk (events come in id order). */
  lastEventId: number;
  /** Bytes of its events, as staged. */
  bytes: number;
  /**
   * The chunk's last event is an EXECUTE (SQL run at that place of the
   * stream, lambdiste.execute_root): a chunk ends after each one, so that
   * the events before it are applied before the SQL runs, the events after
   * it after.
   */
  execute: boolean;
}

const EXECUTE = Buffer.from('EXECUTE');

/** Whether a staged row (ev_id, ev_type, ...) in binary COPY form is an EXECUTE event. */
export function isExecuteRow(bytes: Buffer): boolean {
  // field count (2), ev_id's length (4) and value (8), then ev_type's length and text.
  if (bytes.length < 18 + EXECUTE.length || bytes.readInt16BE(0) < 2 || bytes.readInt32BE(2) !== 8) return false;
  return bytes.readInt32BE(14) === EXECUTE.length && bytes.subarray(18, 18 + EXECUTE.length).equals(EXECUTE);
}

export interface StageLimits {
  /** A chunk ends after this many events... */
  events: number;
  /** ...or this many bytes of events. */
  bytes: number;
}

/** The columns the consumer needs of an event: what the staging table holds. */
const EVENT_COLUMNS = 'ev.ev_id, ev.ev_type, ev.ev_data, ev.ev_extra1';

/**
 * The query of a batch's events, in event id order, after `afterEventId`
 * (when resuming a batch applied in part) and matching `extraWhere` (an
 * SQL condition on ev.*, from trusted values only).
 */
export async function batchEventsQuery(
  provider: pg.ClientBase, batchId: number, opts: { afterEventId?: number; extraWhere?: string } = {},
): Promise<string> {
  const { rows } = await provider.query<{ sql: string }>('select pgq.batch_event_sql($1) as sql', [batchId]);
  const conditions = [
    opts.afterEventId === undefined ? null : `ev.ev_id > ${Math.trunc(opts.afterEventId)}`,
    opts.extraWhere ?? null,
  ].filter((c): c is string => c !== null);
  const where = conditions.length ? ` where ${conditions.map((c) => `(${c})`).join(' and ')}` : '';
  return `select ${EVENT_COLUMNS} from (${rows[0]!.sql}) ev${where} order by ev.ev_id`;
}

export interface StageOutcome {
  events: number;
  /** `apply` asked to stop before the stream's end. */
  stopped: boolean;
}

/**
 * Streams the events `query` selects on the provider into the staging
 * table, chunk by chunk, calling `apply` after each: it must empty the
 * table, and returns false to stop there. Runs the provider side in a
 * read-only transaction of its own on `provider`; the subscriber side in
 * the caller's transaction. When it stops early or fails, the provider's
 * COPY is cancelled and what was already on its way is read and dropped,
 * so that the provider connection is fit for use again.
 */
export async function stageEvents(
  provider: pg.ClientBase, subscriber: pg.ClientBase, query: string, limitsOf: StageLimits | (() => StageLimits),
  apply: (chunk: StagedChunk) => Promise<boolean>,
): Promise<StageOutcome> {
  // Asked again at each chunk's start: the next chunk's size may depend on the time left.
  const nextLimits = typeof limitsOf === 'function' ? limitsOf : () => limitsOf;
  let limits = nextLimits();
  // The batch's events are sorted by id: in memory, for batches of the size consumers ask for.
  await provider.query(`begin isolation level read committed read only; ${SET_LOCAL_SETTINGS}; set local work_mem = '64MB'`);
  const source = provider.query(copyTo(`copy (${query}) to stdout (format binary)`));
  let sink: CopyFrom | null = null;
  let chunk: StagedChunk = { events: 0, lastEventId: 0, bytes: 0, execute: false };
  let total = 0;
  // Set once the rest of the stream is to be dropped (stopped, or failed).
  let dropping = false;
  let failure: unknown;

  const openSink = () => {
    sink = subscriber.query(copyFrom('copy pg_temp.lambdiste_batch (ev_id, ev_type, ev_data, ev_extra1) from stdin (format binary)'));
    sink.write(HEADER);
    return sink;
  };
  const endChunk = async (): Promise<boolean> => {
    const s = sink!;
    sink = null;
    s.end(TRAILER);
    await finished(s);
    total += chunk.events;
    const go = await apply(chunk);
    chunk = { events: 0, lastEventId: 0, bytes: 0, execute: false };
    if (go) limits = nextLimits();
    return go;
  };
  const send = async (run: CopyRow[], from: number, to: number) => {
    const s = sink ?? openSink();
    const part = to - from === 1 ? run[from]!.bytes : Buffer.concat(run.slice(from, to).map((r) => r.bytes));
    if (!s.write(part)) await once(s, 'drain');
  };
  const drop = async (err?: unknown) => {
    if (err !== undefined) failure = err;
    dropping = true;
    if (sink) {
      sink.destroy(err instanceof Error ? err : undefined);
      sink = null;
    }
    await cancelQuery(provider);
  };

  try {
    // Leaving this loop early would leave the provider mid-COPY: after a
    // stop or an error it goes on, dropping rows, until the stream ends.
    for await (const run of copyRowRuns(source)) {
      if (dropping) continue;
      try {
        // The rows of a run go to the subscriber in one write per chunk part.
        let from = 0;
        for (let i = 0; i < run.length && !dropping; i++) {
          const row = run[i]!;
          chunk.events++;
          chunk.lastEventId = Number(row.first);
          chunk.execute = isExecuteRow(row.bytes);
          chunk.bytes += row.bytes.length;
          if (chunk.execute || chunk.events >= limits.events || chunk.bytes >= limits.bytes) {
            await send(run, from, i + 1);
            from = i + 1;
            if (!(await endChunk())) await drop();
          }
        }
        if (!dropping && from < run.length) await send(run, from, run.length);
      } catch (err) {
        await drop(err);
      }
    }
    if (!dropping && sink) await endChunk();
  } catch (err) {
    // A cancelled COPY ends in query_canceled: expected once dropping.
    if (!dropping || (err as { code?: string }).code !== '57014') failure ??= err;
  }
  if (failure !== undefined) {
    await provider.query('rollback').catch(() => undefined);
    throw failure;
  }
  await provider.query(dropping ? 'rollback' : 'commit');
  return { events: total, stopped: dropping };
}

type CopyFrom = ReturnType<typeof copyFrom>;
