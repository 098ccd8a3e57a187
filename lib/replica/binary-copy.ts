/**
 * PostgreSQL's binary COPY format, as far as moving rows from one COPY to
 * another needs it: where each row starts and ends, and the value of a
 * leading bigint column. Nothing else is decoded; the rows pass through
 * as the provider sent them.
 *
 *   header  "PGCOPY\n\377\r\n\0", int32 flags, int32 extension length, extension
 *   row     int16 field count, then per field int32 length (-1: NULL) and its bytes
 *   trailer int16 -1
 */

export const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** The header a COPY ... FROM STDIN (FORMAT binary) is sent: no flags, no extension. */
export const HEADER = Buffer.concat([SIGNATURE, Buffer.alloc(8)]);
export const TRAILER = Buffer.from([0xff, 0xff]);

export interface CopyRow {
  /** The row, as sent (field count, lengths and values). */
  bytes: Buffer;
  /** The first field read as a bigint (ev_id); null when it is NULL. */
  first: bigint | null;
}

export class BinaryCopyError extends Error {
  constructor(message: string) {
    super(`Binary COPY stream: ${message}`);
    this.name = 'BinaryCopyError';
  }
}

/**
 * The rows of a binary COPY ... TO STDOUT stream, one by one, whatever
 * the chunks the stream arrives in. Ends at the trailer; a stream that
 * ends before it is an error.
 */
export async function* copyRows(source: AsyncIterable<Buffer>): AsyncGenerator<CopyRow> {
  for await (const run of copyRowRuns(source)) yield* run;
}

/**
 * The same rows, as the runs of complete rows each arriving chunk makes
 * (one await per chunk of the stream, not per row: a batch of single-row
 * events is many small rows).
 */
export async function* copyRowRuns(source: AsyncIterable<Buffer>): AsyncGenerator<CopyRow[]> {
  // What has arrived and not been passed on: parts, joined only once the
  // row they start is known to be complete (a large value arrives in many).
  let parts: Buffer[] = [];
  let have = 0;
  let need = SIGNATURE.length + 8;
  let headerDone = false;
  for await (const chunk of source) {
    parts.push(chunk);
    have += chunk.length;
    if (have < need) continue;
    let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts, have);
    let pos = 0;
    if (!headerDone) {
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new BinaryCopyError('bad signature');
      const header = SIGNATURE.length + 8 + buf.readInt32BE(SIGNATURE.length + 4);
      if (buf.length < header) {
        need = header;
        parts = [buf];
        continue;
      }
      pos = header;
      headerDone = true;
    }
    const run: CopyRow[] = [];
    for (;;) {
      const end = rowEnd(buf, pos);
      if (end === -1) {
        if (run.length) yield run;
        return;
      }
      if (end < 0) {
        // Not all there: wait for at least this much more.
        need = -end - pos;
        break;
      }
      run.push({ bytes: buf.subarray(pos, end), first: firstBigint(buf, pos) });
      pos = end;
    }
    if (run.length) yield run;
    buf = buf.subarray(pos);
    parts = buf.length ? [buf] : [];
    have = buf.length;
  }
  throw new BinaryCopyError('ended before its trailer');
}

/**
 * Where the row at `pos` ends; -1 at the trailer; if the row is not all
 * there yet, minus the length it is known to need so far (below -1).
 */
function rowEnd(buf: Buffer, pos: number): number {
  if (buf.length < pos + 2) return -(pos + 2);
  const fields = buf.readInt16BE(pos);
  if (fields === -1) return -1;
  let p = pos + 2;
  for (let i = 0; i < fields; i++) {
    if (buf.length < p + 4) return -(p + 4);
    const len = buf.readInt32BE(p);
    p += 4 + Math.max(len, 0);
    if (buf.length < p) return -p;
  }
  return p;
}

function firstBigint(buf: Buffer, pos: number): bigint | null {
  if (buf.readInt16BE(pos) < 1) return null;
  const len = buf.readInt32BE(pos + 2);
  if (len === -1) return null;
  if (len !== 8) throw new BinaryCopyError(`first field is ${len} bytes, not a bigint`);
  return buf.readBigInt64BE(pos + 6);
}
