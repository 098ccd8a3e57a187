/**
 * The replication event format, written by lambdiste.capture() on the root
 * and read by the consumer (see lib/sql/lambdiste/functions/lambdiste.capture.sql):
 *
 *   ev_type    'I' insert, 'U' update, 'D' delete, 'R' truncate
 *   ev_data    the row as a json object (the old row for D; NULL for R); or,
 *              from a statement that changed several rows, a json array of
 *              up to 200 of them, in order (Lambdiste's own queue only)
 *   ev_extra1  the table, canonical name (schema.name, quoted as needed)
 *
 * An UPDATE that moves primary keys arrives as D events for the keys that
 * disappeared, then U events for the new rows.
 */
export const ROW_OPS = new Set(['I', 'U', 'D']);
export const TRUNCATE_OP = 'R';
