/**
 * Random values of (nearly) every built-in type with an exact text form,
 * as SQL literals, edge cases weighted in: NaN, infinities and -0, dates
 * BC, arrays with lower bounds, json with duplicate keys and the JSON
 * null, bytea with NUL bytes, text from every Unicode plane. A seeded
 * generator, so that a failure can be replayed (LAMBDISTE_SEED).
 */

/** mulberry32: small, fast, good enough for test data. */
export class Rand {
  private s: number;
  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  times<T>(lo: number, hi: number, f: () => T): T[] {
    return Array.from({ length: this.int(lo, hi) }, f);
  }
}

/** An SQL string literal that reads the same whatever standard_conforming_strings is. */
export const lit = (s: string) => `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

// Code points from every plane (no NUL, no surrogates: PostgreSQL text holds neither).
const RANGES: [number, number][] = [
  [0x01, 0x1f], [0x20, 0x7e], [0x7f, 0xff], [0x100, 0x7ff], [0x800, 0xd7ff], [0xe000, 0xfffd],
  [0x10000, 0x1ffff], [0x20000, 0x2ffff], [0x30000, 0x3ffff], [0x40000, 0xdffff], [0xe0000, 0xeffff],
  [0xf0000, 0xffffd], [0x100000, 0x10fffd],
];
export function unicodeText(r: Rand, max = 12): string {
  return r.times(0, max, () => {
    const [lo, hi] = r.pick(RANGES);
    return String.fromCodePoint(r.int(lo, hi));
  }).join('') + r.pick(['', '"', "'", '\\', ' ', '\\N', 'NULL', '{}', ',']);
}

function float8(r: Rand): string {
  return r.pick([
    () => r.pick(['NaN', 'Infinity', '-Infinity', '-0', '0', '5e-324', '1.7976931348623157e308', '2.2250738585072014e-308']),
    () => String(Math.PI * 10 ** r.int(-30, 30)),
    () => String((r.next() - 0.5) * 10 ** r.int(-300, 300)),
    () => String(0.1 + 0.2),
  ])();
}
function float4(r: Rand): string {
  return r.pick([
    () => r.pick(['NaN', 'Infinity', '-Infinity', '-0', '1.4e-45', '3.4028235e38']),
    () => String(Math.fround((r.next() - 0.5) * 10 ** r.int(-35, 35))),
  ])();
}
function numeric(r: Rand): string {
  if (r.chance(0.2)) return r.pick(['NaN', '0.000', '-0.0']);
  const digits = (n: number) => Array.from({ length: n }, () => r.int(0, 9)).join('');
  return `${r.pick(['', '-'])}${digits(r.int(1, 30))}${r.chance(0.7) ? '.' + digits(r.int(0, 20)) : ''}`;
}
function year(r: Rand): string {
  return r.chance(0.15) ? `${pad(r.int(1, 4713), 4)}` : `${pad(r.int(1, 9999), 4)}`;
}
function dateText(r: Rand): string {
  const bc = r.chance(0.15);
  return `${bc ? pad(r.int(1, 4713), 4) : year(r)}-${pad(r.int(1, 12), 2)}-${pad(r.int(1, 28), 2)}${bc ? ' BC' : ''}`;
}
function timeText(r: Rand): string {
  return `${pad(r.int(0, 23), 2)}:${pad(r.int(0, 59), 2)}:${pad(r.int(0, 59), 2)}${r.chance(0.6) ? '.' + pad(r.int(0, 999999), 6) : ''}`;
}
const offset = (r: Rand) => r.pick(['+00', '+05:45', '-03:30', '+14', '-12', '+01:00:30', '+13:45']);
function timestampText(r: Rand, tz: boolean): string {
  if (r.chance(0.1)) return r.pick(['infinity', '-infinity']);
  const bc = r.chance(0.15);
  const d = `${pad(r.int(1, bc ? 4713 : 9999), 4)}-${pad(r.int(1, 12), 2)}-${pad(r.int(1, 28), 2)}`;
  return `${d} ${timeText(r)}${tz ? offset(r) : ''}${bc ? ' BC' : ''}`;
}
function interval(r: Rand): string {
  const s = () => r.pick(['', '-']);
  return `${s()}${r.int(0, 3000)} years ${s()}${r.int(0, 11)} mons ${s()}${r.int(0, 400)} days ${s()}${r.int(0, 99)}:${pad(r.int(0, 59), 2)}:${pad(r.int(0, 59), 2)}.${pad(r.int(0, 999999), 6)}`;
}
function jsonText(r: Rand, depth = 0): string {
  const ws = () => r.pick(['', ' ', '\n', '  ']);
  const scalar = () => r.pick([
    'null', 'true', 'false', '1.0', '-0', '1e400', '123456789012345678901234567890', '0.1',
    JSON.stringify(unicodeText(r, 4)), '"\\u00e9\\ud83d\\ude00"', '"a\\"b\\\\c"',
  ]);
  if (depth > 2 || r.chance(0.4)) return ws() + scalar() + ws();
  if (r.chance(0.5)) return `[${ws()}${r.times(0, 3, () => jsonText(r, depth + 1)).join(',')}${ws()}]`;
  const key = () => r.pick(['"a"', '"b"', '"é"', '""', '"a"']); // "a" twice as likely: duplicate keys
  return `{${r.times(0, 4, () => `${ws()}${key()}${ws()}:${jsonText(r, depth + 1)}`).join(',')}${ws()}}`;
}
const hex = (r: Rand, n: number) => Array.from({ length: n }, () => r.int(0, 255).toString(16).padStart(2, '0')).join('');
function arrayLiteral(r: Rand, element: () => string): string {
  // Elements are array-literal items (already quoted as needed).
  if (r.chance(0.1)) return '{}';
  const bounds = r.chance(0.35);
  if (r.chance(0.2)) {
    const [rows, cols] = [r.int(1, 3), r.int(1, 3)];
    const body = `{${Array.from({ length: rows }, () => `{${Array.from({ length: cols }, element).join(',')}}`).join(',')}}`;
    if (!bounds) return body;
    const lo = [r.int(-3, 3), r.int(-3, 3)];
    return `[${lo[0]}:${lo[0]! + rows - 1}][${lo[1]}:${lo[1]! + cols - 1}]=${body}`;
  }
  const items = r.times(1, 4, element);
  if (!bounds) return `{${items.join(',')}}`;
  const lo = r.int(-5, 5);
  return `[${lo}:${lo + items.length - 1}]={${items.join(',')}}`;
}
/** An array element: NULL, or a double-quoted item. */
const item = (r: Rand, v: string) => (r.chance(0.1) ? 'NULL' : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);

export interface ColumnKind {
  name: string;
  /** Its SQL type (types of the test's own are created by `setupSql`). */
  type: string;
  /** A random value, as an SQL expression. */
  value: (r: Rand) => string;
  /** Lowest server version (server_version_num) that has it. */
  since?: number;
}

/** Types of the test's own, created on both servers. */
export const setupSql = `
  create type public.mood as enum ('sad', 'ok', 'happy', 'quote''d');
  create type public.pair as (a int, b text[], c float8, d jsonb);
  create domain public.posint as int check (value > 0);
  create domain public.tags as text[];
  create domain public.doc as json;`;

const pair = (r: Rand) =>
  `row(${r.chance(0.2) ? 'null' : r.int(-9, 9)}, ${lit(arrayLiteral(r, () => item(r, unicodeText(r, 3))))}::text[], ${lit(float8(r))}::float8, ${lit(jsonText(r))}::jsonb)::public.pair`;

export const columnKinds: ColumnKind[] = [
  { name: 'c_int2', type: 'int2', value: (r) => String(r.pick([-32768, 32767, 0, r.int(-999, 999)])) },
  { name: 'c_int4', type: 'int4', value: (r) => String(r.pick([-2147483648, 2147483647, r.int(-1e6, 1e6)])) },
  { name: 'c_int8', type: 'int8', value: (r) => r.pick(['9223372036854775807', '-9223372036854775808', '9007199254740993', String(r.int(-1e9, 1e9))]) },
  { name: 'c_numeric', type: 'numeric', value: (r) => `${lit(numeric(r))}::numeric` },
  { name: 'c_numeric_inf', type: 'numeric', since: 140000, value: (r) => `${lit(r.pick(['Infinity', '-Infinity', numeric(r)]))}::numeric` },
  { name: 'c_float4', type: 'float4', value: (r) => `${lit(float4(r))}::float4` },
  { name: 'c_float8', type: 'float8', value: (r) => `${lit(float8(r))}::float8` },
  { name: 'c_bool', type: 'bool', value: (r) => r.pick(['true', 'false']) },
  { name: 'c_text', type: 'text', value: (r) => lit(unicodeText(r, 20)) },
  { name: 'c_varchar', type: 'varchar(30)', value: (r) => lit(unicodeText(r, 8)) },
  { name: 'c_char', type: 'char(6)', value: (r) => lit(unicodeText(r, 4).slice(0, 4)) },
  { name: 'c_name', type: 'name', value: (r) => lit(r.pick(['a', 'Quoted "x"', 'ü'])) },
  { name: 'c_bytea', type: 'bytea', value: (r) => lit(`\\x${r.chance(0.3) ? '00' : ''}${hex(r, r.int(0, 12))}00`) + '::bytea' },
  { name: 'c_date', type: 'date', value: (r) => `${lit(r.chance(0.1) ? r.pick(['infinity', '-infinity']) : dateText(r))}::date` },
  { name: 'c_time', type: 'time', value: (r) => `${lit(r.chance(0.05) ? '24:00:00' : timeText(r))}::time` },
  { name: 'c_timetz', type: 'timetz', value: (r) => `${lit(timeText(r) + offset(r))}::timetz` },
  { name: 'c_ts', type: 'timestamp', value: (r) => `${lit(timestampText(r, false))}::timestamp` },
  { name: 'c_tstz', type: 'timestamptz', value: (r) => `${lit(timestampText(r, true))}::timestamptz` },
  { name: 'c_interval', type: 'interval', value: (r) => `${lit(interval(r))}::interval` },
  { name: 'c_uuid', type: 'uuid', value: (r) => `${lit(`${hex(r, 4)}-${hex(r, 2)}-${hex(r, 2)}-${hex(r, 2)}-${hex(r, 6)}`)}::uuid` },
  { name: 'c_json', type: 'json', value: (r) => `${lit(jsonText(r))}::json` },
  { name: 'c_jsonb', type: 'jsonb', value: (r) => `${lit(jsonText(r))}::jsonb` },
  { name: 'c_inet', type: 'inet', value: (r) => `${lit(r.pick(['192.168.1.5/24', '::1', '2001:db8::ff00:42:8329/64', `10.${r.int(0, 255)}.0.1`]))}::inet` },
  { name: 'c_cidr', type: 'cidr', value: (r) => `${lit(r.pick(['10.0.0.0/8', '2001:db8::/32', '192.168.100.128/25']))}::cidr` },
  { name: 'c_macaddr', type: 'macaddr', value: (r) => `${lit(`08:00:2b:${hex(r, 1)}:${hex(r, 1)}:${hex(r, 1)}`)}::macaddr` },
  { name: 'c_macaddr8', type: 'macaddr8', value: (r) => `${lit(`08:00:2b:01:02:03:${hex(r, 1)}:${hex(r, 1)}`)}::macaddr8` },
  { name: 'c_bit', type: 'bit(8)', value: (r) => `B'${Array.from({ length: 8 }, () => r.int(0, 1)).join('')}'` },
  { name: 'c_varbit', type: 'varbit', value: (r) => `B'${r.times(0, 20, () => r.int(0, 1)).join('')}'` },
  { name: 'c_money', type: 'money', value: (r) => r.pick(['-92233720368547758.08', '92233720368547758.07', `${r.int(-1e6, 1e6)}.${pad(r.int(0, 99), 2)}`]).replace(/.*/, '($&)::numeric::money') },
  { name: 'c_point', type: 'point', value: (r) => `point(${lit(float8(r))}::float8, ${1 / r.int(1, 9)})` },
  { name: 'c_lseg', type: 'lseg', value: (r) => `${lit(`[(${r.next()},${1 / 3}),(${r.int(-5, 5)},${r.next()})]`)}::lseg` },
  { name: 'c_box', type: 'box', value: (r) => `${lit(`(${r.next()},${r.next()}),(${r.int(1, 5)},${1 / 7})`)}::box` },
  { name: 'c_path', type: 'path', value: (r) => {
    const points = `(0,0),(${r.next()},1),(${1 / 3},2)`; // open [...] or closed (...)
    return `${lit(r.chance(0.5) ? `[${points}]` : `(${points})`)}::path`;
  } },
  { name: 'c_polygon', type: 'polygon', value: (r) => `${lit(`((0,0),(${r.next()},1),(${1 / 3},2))`)}::polygon` },
  { name: 'c_circle', type: 'circle', value: (r) => `${lit(`<(${r.next()},${1 / 3}),${r.next() + 1}>`)}::circle` },
  { name: 'c_line', type: 'line', value: (r) => `${lit(`{${r.next() + 0.5},${1 / 3},${r.next()}}`)}::line` },
  { name: 'c_tsvector', type: 'tsvector', value: (r) => `${lit(r.pick(["a:1A fat:2B,4C cat:5D", "'don''t' 'é':3", '']))}::tsvector` },
  { name: 'c_tsquery', type: 'tsquery', value: (r) => `${lit(r.pick(['fat & (rat | cat)', "!'x y' <-> z:*", 'a <2> b']))}::tsquery` },
  { name: 'c_xml', type: 'xml', value: (r) => `${lit(r.pick(['<a x="1">t&amp;</a>', 'text only', `<b>${unicodeText(r, 3).replace(/[<>&\u0000-\u001f\ufffe\uffff]/g, '') }</b>`]))}::xml` },
  { name: 'c_int4range', type: 'int4range', value: (r) => `${lit(r.pick(['empty', '[1,5)', `[${r.int(-9, 0)},${r.int(1, 9)}]`, '(,3)']))}::int4range` },
  { name: 'c_numrange', type: 'numrange', value: (r) => `${lit(`(${numeric(r).replace('NaN', '1')},)`)}::numrange` },
  { name: 'c_tsrange', type: 'tsrange', value: (r) => `${lit(`[${timestampText(r, false).replace(/-?infinity/, '2000-01-01')},infinity)`)}::tsrange` },
  { name: 'c_tstzrange', type: 'tstzrange', value: (r) => `${lit(`(-infinity,"${timestampText(r, true).replace(/-?infinity/, '2000-01-01 00:00+00')}"]`)}::tstzrange` },
  { name: 'c_daterange', type: 'daterange', value: (r) => `${lit(r.pick(['empty', `[${dateText(r).replace(' BC', '')},)`]))}::daterange` },
  { name: 'c_multirange', type: 'int4multirange', since: 140000, value: (r) => `${lit(r.pick(['{}', '{[1,3),[5,8)}', `{(,${r.int(0, 9)}]}`]))}::int4multirange` },
  { name: 'c_datemultirange', type: 'datemultirange', since: 140000, value: (r) => `${lit(`{[${dateText(r).replace(' BC', '')},infinity)}`)}::datemultirange` },
  { name: 'c_int4_arr', type: 'int4[]', value: (r) => `${lit(arrayLiteral(r, () => (r.chance(0.1) ? 'NULL' : String(r.int(-99, 99)))))}::int4[]` },
  { name: 'c_text_arr', type: 'text[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, unicodeText(r, 5))))}::text[]` },
  { name: 'c_float8_arr', type: 'float8[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, float8(r))))}::float8[]` },
  { name: 'c_numeric_arr', type: 'numeric[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, numeric(r))))}::numeric[]` },
  { name: 'c_tstz_arr', type: 'timestamptz[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, timestampText(r, true))))}::timestamptz[]` },
  { name: 'c_interval_arr', type: 'interval[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, interval(r))))}::interval[]` },
  { name: 'c_jsonb_arr', type: 'jsonb[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, jsonText(r))))}::jsonb[]` },
  { name: 'c_json_arr', type: 'json[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, jsonText(r))))}::json[]` },
  { name: 'c_bytea_arr', type: 'bytea[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, `\\x00${hex(r, 3)}`)))}::bytea[]` },
  { name: 'c_range_arr', type: 'int4range[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, r.pick(['empty', '[1,2)', '(,5]']))))}::int4range[]` },
  { name: 'c_int2vector', type: 'int2vector', value: (r) => `${lit(r.times(0, 4, () => r.int(-9, 99)).join(' '))}::int2vector` },
  { name: 'c_pair', type: 'public.pair', value: pair },
  { name: 'c_pair_arr', type: 'public.pair[]', value: (r) => `array[${r.times(1, 3, () => pair(r)).join(', ')}]` },
  { name: 'c_posint', type: 'public.posint', value: (r) => String(r.int(1, 1e6)) },
  { name: 'c_tags', type: 'public.tags', value: (r) => `${lit(arrayLiteral(r, () => item(r, unicodeText(r, 3))))}::text[]` },
  { name: 'c_doc', type: 'public.doc', value: (r) => `${lit(jsonText(r))}::json` },
  { name: 'c_mood', type: 'public.mood', value: (r) => `${lit(r.pick(['sad', 'ok', 'happy', "quote'd"]))}::public.mood` },
  { name: 'c_mood_arr', type: 'public.mood[]', value: (r) => `${lit(arrayLiteral(r, () => item(r, r.pick(['sad', 'happy', "quote'd"]))))}::public.mood[]` },
  { name: 'c_lsn', type: 'pg_lsn', value: (r) => `${lit(`${r.int(0, 0xffff).toString(16)}/${r.int(0, 0xffffff).toString(16)}`)}::pg_lsn` },
  { name: 'c_char1', type: '"char"', value: (r) => lit(r.pick(['a', 'Z', '"', ' '])) },
];

/** A random value of `kind`, or NULL now and then. */
export function randomValue(r: Rand, kind: ColumnKind): string {
  return r.chance(0.1) ? 'null' : kind.value(r);
}
