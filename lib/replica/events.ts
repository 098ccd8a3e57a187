/**
 * The replication event format, written by lambdiste.capture() on the root
 * and read by the consumer (see lib/sql/lambdiste/functions/lambdiste.capture.sql):
 *
 *   ev_type    'I' insert, 'U' update, 'D' delete, 'R' truncate
 *   ev_data    the row as json (the old row for D; NULL for R)
 *   ev_extra1  the table, canonical name (schema.name, quoted as needed)
 *   ev_extra2  for a U that changed the primary key: the old key as json
 */
export const ROW_OPS = new Set(['I', 'U', 'D']);
export const TRUNCATE_OP = 'R';
