import { describe, expect, it } from 'vitest';
import type pg from 'pg';
import { queuePair } from '../helpers/pgq-ref.ts';

/**
 * PgQ's triggers (pgq.logutriga, pgq.sqltriga, pgq.jsontriga) against PgQ
 * 3.5's C triggers: the same statements on both queues must queue the same
 * events, byte for byte, and fail with the same errors. Where the server
 * has no PgQ extension, the scenarios run on Lambdiste's queue and the
 * assertions after each comparison check what PgQ's documentation and
 * regression tests show.
 */

/** Values, as text to cast, for every built-in base type (those whose input accepts text). */
const VALUES: Record<string, string[]> = {
  bool: ['true', 'false'],
  bytea: ['\\x00ff01', '', '\\x5c27e282ac'],
  char: ['x', ' ', '"'],
  name: ['some name', 'Ünï'],
  int2: ['-32768', '12'],
  int4: ['2147483647', '-1'],
  int8: ['9223372036854775807', '-9223372036854775808', '0'],
  oid: ['4294967295', '0'],
  float4: ['1.5', '-0', 'NaN', 'Infinity', '3.4028235e+38', '0.1'],
  float8: ['100100.6005005665', '-0', '-Infinity', '1e-300', '0.1'],
  numeric: ['100100.600500566501811', '1.0', 'NaN', '-0.000'],
  money: ['12.34', '-1.5'],
  text: ['', 'plain', 'with space & amp=eq', 'quote \' and "dq" and \\ backslash', 'ünïcödé €', 'tab\tnewline\ncr\r', '(paren,comma)', 'NULL', '%41+'],
  varchar: ['v', ''],
  bpchar: ['a', 'spaces   '],
  refcursor: ['cur'],
  json: ['{"a": [false, null, true]}', '"str\\u00e9"', '[1,2,3]'],
  jsonb: ['{"b": 1, "a": [1.0, "x"]}', 'null'],
  jsonpath: ['$.a[*] ? (@ > 1)'],
  xml: ['<a b="c">t&amp;x</a>'],
  date: ['2009-09-19', 'infinity', '-infinity', '0044-03-15 BC'],
  time: ['11:59:48.599', '24:00:00'],
  timetz: ['11:59:48.599+05:30'],
  timestamp: ['2009-09-19 11:59:48.599', 'infinity', '1999-01-08 04:05:06 BC'],
  timestamptz: ['2009-09-19 11:59:48.599+02', '-infinity', '2000-06-01 00:00:00+00'],
  interval: ['2 minutes', '-1 year 2 mons 3 days 04:05:06.789', '0'],
  bit: ['1'],
  varbit: ['10101', ''],
  point: ['(1.5,2)'],
  lseg: ['[(0,0),(1,1)]'],
  path: ['((0,0),(1,1),(2,0))', '[(0,0),(1,1)]'],
  box: ['(5.6,5.7),(1.1,2.1)'],
  polygon: ['((0,0),(1,1),(1,0))'],
  line: ['{1,2,3}'],
  circle: ['<(1,2),3>'],
  macaddr: ['08:00:2b:01:02:03'],
  macaddr8: ['08:00:2b:01:02:03:04:05'],
  inet: ['192.168.1.5', '10.0.0.0/8', '::1'],
  cidr: ['10.0.0.0/8', '2001:db8::/32'],
  uuid: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'],
  pg_lsn: ['16/B374D848'],
  tsvector: ["a fat cat:1,3 sat:2A 'it''s'"],
  tsquery: ['fat & (rat | cat)'],
  tid: ['(1,2)'],
  xid: ['12345'],
  xid8: ['18446744073709551615'],
  cid: ['7'],
  txid_snapshot: ['10:20:10,14,15'],
  pg_snapshot: ['10:20:10,14,15'],
  aclitem: ['postgres=arwdDxt/postgres'],
  regproc: ['now', 'pg_catalog.int4in'],
  regprocedure: ['lower(text)'],
  regoper: ['||/'],
  regoperator: ['+(integer,integer)'],
  regclass: ['pg_class', 'pg_catalog.pg_type'],
  regtype: ['integer', 'character varying'],
  regrole: ['postgres'],
  regnamespace: ['pg_catalog'],
  regconfig: ['english'],
  regdictionary: ['simple'],
  regcollation: ['"C"', 'ucs_basic'],
  int4range: ['[1,10)', 'empty'],
  int8range: ['[1,)'],
  numrange: ['(1.5,2.5]'],
  tsrange: ['["2009-09-19 11:59:48","2010-01-01 00:00:00")'],
  tstzrange: ['[2009-09-19 11:59:48+00,)'],
  daterange: ['[2009-09-19,2009-09-29)'],
  int4multirange: ['{[1,3),[5,7)}'],
  int8multirange: ['{}'],
  nummultirange: ['{(1.5,2.5]}'],
  datemultirange: ['{[2009-09-19,2009-09-29)}'],
  tsmultirange: ['{["2009-09-19 11:59:48","2010-01-01 00:00:00")}'],
  tstzmultirange: ['{[2009-09-19 11:59:48+00,)}'],
};

/** Columns of other kinds: arrays, vectors, an enum, a composite, domains, typmods. */
const OTHER: Record<string, string[]> = {
  'text[]': ['{"a b",NULL,"\\"q\\"","","x,y","\\\\"}', '{}'],
  'int4[]': ['{1,NULL,3}', '{{1,2},{3,4}}'],
  'numeric[]': ['{1.0,2.50}'],
  'bool[]': ['{t,f}'],
  'timestamptz[]': ['{"2009-09-19 11:59:48+00"}'],
  'json[]': ['{"{\\"a\\":1}"}'],
  'point[]': ['{"(1,2)"}'],
  'bytea[]': ['{"\\\\x00ff"}'],
  int2vector: ['1 2 3'],
  oidvector: ['1 2 3'],
  'public.mood': ['sad', 'happy with space'],
  'public.pair': ['(1,"x y")', '(,)'],
  'public.posint': ['5'],
  'public.flag': ['true'],
  'public.stamp': ['2009-09-19 11:59:48+00'],
  'char(5)': ['ab'],
  'varchar(10)': ['abc'],
  'numeric(10,3)': ['1.5'],
  'bit(3)': ['101'],
  'timestamp(0)': ['2009-09-19 11:59:48.599'],
};

/** Session settings the values' text depends on; the triggers write what the writer's session prints. */
const SETTINGS = [
  [],
  ["set datestyle = 'SQL, DMY'", "set intervalstyle = 'sql_standard'", "set bytea_output = 'escape'", 'set extra_float_digits = 0',
    "set timezone = 'America/New_York'", "set search_path = 'pg_catalog'", 'set standard_conforming_strings = off'],
  ["set datestyle = 'Postgres, YMD'", "set intervalstyle = 'iso_8601'", 'set extra_float_digits = 3', "set timezone = 'Asia/Kolkata'"],
  ["set datestyle = 'German'", "set intervalstyle = 'postgres_verbose'", "set timezone = 'UTC'"],
];

const TYPES_SETUP = [
  "create type public.mood as enum ('sad', 'ok', 'happy with space')",
  'create type public.pair as (a int, b text)',
  'create domain public.posint as int check (value > 0)',
  'create domain public.flag as bool',
  'create domain public.stamp as timestamptz',
];

/** A statement, with its values as parameters where they are typed values (no quoting, whatever the settings). */
type Statement = string | { text: string; values: string[] };
const sqlOf = (s: Statement) => (typeof s === 'string' ? s : s.text);

interface Done { sql: string; error?: string; rows?: unknown[][]; events: (string | null)[][] }

/** What a scenario did on one queue: per statement its error, if any, its rows, and the events it queued. */
async function run(db: pg.ClientBase, statements: Statement[]): Promise<Done[]> {
  await db.query(`select pgq.create_queue('q')`);
  const out: Done[] = [];
  let last = 0;
  for (const st of statements) {
    const done: Done = { sql: sqlOf(st), events: [] };
    try {
      const r = await db.query({ ...(typeof st === 'string' ? { text: st } : st), rowMode: 'array' });
      if (/^select/.test(done.sql)) done.rows = r.rows;
    } catch (err) {
      done.error = (err as Error).message;
    }
    const { rows } = await db.query(`select ev_id, ev_type, ev_data, ev_extra1, ev_extra2, ev_extra3, ev_extra4
                                       from pgq.event_template where ev_id > $1 order by ev_id`, [last]);
    if (rows.length) last = Number(rows.at(-1)!.ev_id);
    done.events = rows.map((r) => [r.ev_type, r.ev_data, r.ev_extra1, r.ev_extra2, r.ev_extra3, r.ev_extra4]);
    out.push(done);
  }
  return out;
}

async function compare(prefix: string, statements: Statement[]): Promise<Done[]> {
  const { ours, ref } = await queuePair(prefix);
  const mine = await run(ours, statements);
  if (ref) expect(mine).toEqual(await run(ref, statements));
  return mine;
}

/** A row's values as parameters $1..$n cast to their columns' types. */
const casts = (types: readonly string[], from = 1) => types.map((t, i) => `$${i + from}::${t}`);

const triggers = (table: string, args = '', when = 'after', events = 'insert or update or delete') =>
  (['jsontriga', 'logutriga', 'sqltriga'] as const).map((t, i) =>
    `create trigger ${table}_${i} ${when} ${events} on public.${table} for each row execute procedure pgq.${t}('q'${args})`);

describe('PgQ triggers', () => {
  it('encode every built-in type as PgQ does, under any session settings', async () => {
    const { ours } = await queuePair('trig_types_probe');
    // Every base type of this server either has values here or accepts no text input at all.
    const { rows } = await ours.query(`select typname from pg_type
        where typnamespace = 'pg_catalog'::regnamespace and typtype in ('b', 'r', 'm')
          and not (typelem <> 0 and typlen = -1 and typname not in ('int2vector', 'oidvector')) order by 1`);
    const present = rows.map((r) => r.typname as string);
    const missing: string[] = [];
    for (const t of present.filter((t) => !(t in VALUES) && !(t in OTHER))) {
      const refused = await ours.query(`select 'x'::${t}`).then(() => false, (e: Error) => /cannot accept a value of type|cannot display a value|_in not implemented/.test(e.message));
      if (!refused) missing.push(t);
    }
    expect(missing).toEqual([]);

    const columns = [
      ...Object.entries(VALUES).filter(([t]) => present.includes(t)).map(([t, v]) => [t === 'char' ? '"char"' : t, v] as const),
      ...Object.entries(OTHER),
    ];
    const col = (i: number) => `c${i}`;
    const types = columns.map(([t]) => t);
    const statements: Statement[] = [
      ...TYPES_SETUP,
      `create table public.typed (id int primary key, ${columns.map(([t], i) => `${col(i)} ${t}`).join(', ')})`,
      ...triggers('typed'),
      ...triggers('typed', ", 'backup'").map((t) => t.replace('typed_', 'typed_backup_')),
    ];
    const most = Math.max(...columns.map(([, v]) => v.length));
    const insert = `insert into public.typed values ($1::int, ${casts(types, 2).join(', ')})`;
    const setAll = `update public.typed set ${types.map((_, i) => `${col(i)} = $${i + 2}::${types[i]}`).join(', ')} where id = $1::int`;
    let id = 0;
    for (const settings of SETTINGS) {
      statements.push('reset all', ...settings);
      const firstId = id + 1;
      for (let k = 0; k < most; k++) {
        statements.push({ text: insert, values: [String(++id), ...columns.map(([, v]) => v[k % v.length]!)] });
      }
      statements.push(`insert into public.typed (id) values (${++id})`);
      // Every column to its next value, then to NULL; a NOP update; deletes.
      statements.push({ text: setAll, values: [String(firstId), ...columns.map(([, v]) => v[1 % v.length]!)] });
      statements.push(`update public.typed set ${columns.map((_, i) => `${col(i)} = null`).join(', ')} where id = ${firstId + 1}`);
      statements.push(`update public.typed set id = id where id = ${id}`);
      statements.push(`delete from public.typed where id in (${id - 1}, ${id})`);
    }
    const mine = await compare('trig_types', statements);
    expect(mine.filter((o) => o.error)).toEqual([]);
    const first = mine.find((o) => o.sql === insert)!.events;
    expect(first.map((e) => e[0]!.slice(0, 14))).toEqual(['{"op":"INSERT"', 'I:id', 'I', '{"op":"INSERT"', 'I:id', 'I']);
    const json = JSON.parse(first[0]![1]!);
    expect([json.id, json.c0, json[col(columns.findIndex(([t]) => t === 'int8'))], json[col(columns.findIndex(([t]) => t === 'numeric'))]])
      .toEqual([1, true, 9223372036854776000, '100100.600500566501811']);
    expect(first[1]![1]).toMatch(/^id=1&c0=t&c1=%5cx00ff01&/);
  });

  it('compare old and new values with each type\'s equality, as the C triggers do', async () => {
    // Values equal by their type's operator but printed otherwise, and the reverse.
    const pairs: [string, string, string][] = [
      ['numeric', '1.0', '1.00'], ['float8', '0', '-0'], ['bpchar', 'a', 'a  '], ['interval', '1 day', '24 hours'],
      ['timestamptz', '2000-01-01 00:00:00+00', '2000-01-01 02:00:00+02'], ['json', '{"a":1}', '{"a": 1}'],
      ['jsonb', '{"a":1}', '{"a":1.0}'], ['box', '(1,1),(0,0)', '(2,2),(1,1)'], ['point', '(1,1)', '(1,1)'],
      ['numeric[]', '{1.0}', '{1.00}'], ['int4range', '[1,3)', '[1,2]'], ['text', 'x', 'x'], ['text', 'x', 'X'],
      ['public.pair', '(1,a)', '(1,a)'], ['public.posint', '1', '1'], ['xml', '<a/>', '<a/>'],
    ];
    const types = pairs.map(([t]) => t);
    const statements: Statement[] = [
      ...TYPES_SETUP,
      `create table public.eq (id int primary key, ${pairs.map(([t], i) => `v${i} ${t}`).join(', ')})`,
      ...triggers('eq'),
      `create table public.eq_ign (id int primary key, ${pairs.map(([t], i) => `v${i} ${t}`).join(', ')})`,
      ...triggers('eq_ign', `, 'ignore=${pairs.map((_, i) => `v${i}`).join(',')}'`),
    ];
    for (const table of ['eq', 'eq_ign']) {
      statements.push({ text: `insert into public.${table} values (1, ${casts(types).join(', ')})`, values: pairs.map(([, a]) => a) });
      for (const [i, [t, , b]] of pairs.entries()) statements.push({ text: `update public.${table} set v${i} = $1::${t} where id = 1`, values: [b] });
      statements.push({ text: `update public.${table} set ${types.map((t, i) => `v${i} = $${i + 1}::${t}`).join(', ')} where id = 1`, values: pairs.map(([, a]) => a) });
    }
    const mine = await compare('trig_equal', statements);
    expect(mine.filter((o) => o.error)).toEqual([]);
    const sql = (i: number) => mine.find((o) => o.sql === `update public.eq set v${i} = $1::${types[i]} where id = 1`)!.events[2]![1];
    expect(sql(0)).toBe("id='1' where id='1'"); // numeric 1.0 = 1.00
    expect(sql(5)).toBe(`v5='{"a": 1}' where id='1'`); // json has no equality: text
    expect(sql(7)).toBe("v7='(2,2),(1,1)' where id='1'"); // box: text, not area
    expect(sql(9)).toBe("v9='{1.00}' where id='1'"); // arrays: text
    expect(sql(12)).toBe("v12='X' where id='1'");
    // With every column ignored, an update that changes any of them is no event; one that changes none is.
    const ign = (i: number) => mine.find((o) => o.sql === `update public.eq_ign set v${i} = $1::${types[i]} where id = 1`)!.events.length;
    expect([ign(0), ign(5), ign(7), ign(10), ign(12)]).toEqual([3, 0, 0, 3, 0]);
  });

  it('take PgQ\'s arguments: ignore, pkey, backup, SKIP, deny, when, ev_* expressions, _pgq_ev_* columns', async () => {
    const statements = [
      'create table public.t_ign (id int primary key, a text, b text, c text)',
      ...triggers('t_ign', ", 'ignore=b, c'"),
      "insert into public.t_ign values (1, 'a', 'b', 'c')",
      "update public.t_ign set b = 'b2', c = 'c2'",
      "update public.t_ign set a = 'a2', b = 'b3'",
      'update public.t_ign set id = 2',
      "update public.t_ign set a = 'a3', id = 3",
      'update public.t_ign set a = a',
      'create table public.t_pk (a int, b text, c text)',
      ...triggers('t_pk', ", 'pkey=a, b'"),
      "insert into public.t_pk values (1, 'x', 'y')",
      "update public.t_pk set c = 'z'",
      "update public.t_pk set b = 'changed'",
      'delete from public.t_pk',
      'create table public.t_bak (id int primary key, v text, at date)',
      ...triggers('t_bak', ", 'backup'"),
      "insert into public.t_bak values (1, 'old', '1999-02-03')",
      "update public.t_bak set v = 'new'",
      'delete from public.t_bak',
      'create table public.t_skip (id int primary key, v text)',
      ...triggers('t_skip', ", 'SKIP'", 'before'),
      "insert into public.t_skip values (1, 'x')",
      'select count(*) from public.t_skip',
      'create table public.t_skip_after (id int primary key, v text)',
      ...triggers('t_skip_after', ", 'SKIP'"),
      "insert into public.t_skip_after values (2, 'x')",
      'create table public.t_deny (id int primary key)',
      ...triggers('t_deny', ", 'deny'"),
      'insert into public.t_deny values (1)',
      'create table public.t_when (id int primary key, a text, b text)',
      ...triggers('t_when', ", 'when=b = ''foo''', 'ev_extra3=$$x$$'"),
      "insert into public.t_when values (1, 'a', 'bar'), (2, 'a', 'foo')",
      'create table public.t_expr (id int primary key, a text, b text)',
      ...triggers('t_expr', ", 'ev_extra1=(id + 3)::text', 'ev_extra2=a || b', 'ev_extra3=$$333$$', 'ev_extra4=null', 'ev_type=$$custom$$', 'ev_data=upper(a)', 'ev_extra1=$$ignored$$'"),
      "insert into public.t_expr values (1, 'a', 'b')",
      "update public.t_expr set a = 'A'",
      'delete from public.t_expr',
      'create table public.t_badwhen (id int primary key)',
      ...triggers('t_badwhen', ", 'when=1'"),
      'insert into public.t_badwhen values (1)',
      'create table public.t_nullwhen (id int primary key)',
      ...triggers('t_nullwhen', ", 'when=null::boolean'"),
      'insert into public.t_nullwhen values (1)',
      "create table public.t_magic (id int primary key, v text, _pgq_ev_type text, _pgq_ev_extra1 text, _pgq_ev_extra2 text default 'e2', _pgq_ev_data text)",
      ...triggers('t_magic', ", 'ev_extra4=$$x4$$'"),
      "insert into public.t_magic (id, v, _pgq_ev_type, _pgq_ev_extra1) values (1, 'a', 'xt', 'E1')",
      "update public.t_magic set v = 'b', _pgq_ev_extra1 = 'X1'",
      "update public.t_magic set _pgq_ev_extra1 = 'X2'",
      'delete from public.t_magic',
      'create table public.t_badmagic (id int primary key, _pgq_ev_nope text)',
      ...triggers('t_badmagic'),
      'insert into public.t_badmagic values (1)',
      'create table public.t_badarg (id int primary key)',
      ...triggers('t_badarg', ", 'nonsense'"),
      'insert into public.t_badarg values (1)',
      'create table public.t_noq (id int primary key)',
      'create trigger t_noq after insert on public.t_noq for each row execute procedure pgq.logutriga()',
      'insert into public.t_noq values (1)',
      'create table public.t_stmt (id int primary key)',
      ...triggers('t_stmt').map((t) => t.replace('for each row', 'for each statement')),
      'insert into public.t_stmt values (1)',
      'create table public.t_nopk (v text)',
      ...triggers('t_nopk'),
      "insert into public.t_nopk values ('x')",
      "update public.t_nopk set v = 'y'",
      'delete from public.t_nopk',
      'create table public."Odd Table" ("Key" int primary key, "the value" text, "a,b" int)',
      ...triggers('"Odd Table"').map((t, i) => t.replace('"Odd Table"_' + i, `odd_${i}`)),
      `insert into public."Odd Table" values (1, 'x', 2)`,
      `update public."Odd Table" set "the value" = null`,
      `delete from public."Odd Table"`,
      'create table public.t_pkupd (id int primary key, v text)',
      ...triggers('t_pkupd'),
      "insert into public.t_pkupd values (1, 'a')",
      'update public.t_pkupd set id = 2',
    ];
    const mine = await compare('trig_args', statements);
    const at = (sql: string) => mine.find((o) => o.sql === sql)!;
    expect(at("update public.t_ign set b = 'b2', c = 'c2'").events).toEqual([]);
    expect(at("update public.t_ign set a = 'a2', b = 'b3'").events[1]).toEqual(['U:id', 'id=1&a=a2', 'public.t_ign', null, null, null]);
    expect(at("update public.t_pk set c = 'z'").events[2]![1]).toBe("c='z' where a='1' and b='x'");
    expect(at("update public.t_bak set v = 'new'").events.map((e) => e[3])).toEqual([
      '{"id":1,"v":"old","at":"1999-02-03"}', 'id=1&v=old&at=1999-02-03', 'id=1&v=old&at=1999-02-03']);
    // The first BEFORE trigger's SKIP ends the row's triggers.
    expect(at("insert into public.t_skip values (1, 'x')").events.map((e) => e[0])).toEqual(['{"op":"INSERT","table":["public","t_skip"],"pkey":["id"]}']);
    expect(at('select count(*) from public.t_skip').rows).toEqual([['0']]);
    expect(at("insert into public.t_skip_after values (2, 'x')").error).toBe('SKIP does not work in AFTER trigger.');
    expect(at('insert into public.t_deny values (1)').error).toBe("Table 'public.t_deny' to queue 'q': change not allowed (INSERT)");
    expect(at("insert into public.t_when values (1, 'a', 'bar'), (2, 'a', 'foo')").events.map((e) => e[4])).toEqual(['x', 'x', 'x']);
    expect(at("insert into public.t_expr values (1, 'a', 'b')").events).toEqual([
      ['custom', 'A', '4', 'ab', '333', null], ['custom', 'A', '4', 'ab', '333', null], ['custom', 'A', '4', 'ab', '333', null]]);
    expect(at('insert into public.t_badwhen values (1)').error).toBe('when= query result must be boolean, got=23');
    expect(at('insert into public.t_nullwhen values (1)').error).toBe('when= should not be NULL');
    expect(at("insert into public.t_magic (id, v, _pgq_ev_type, _pgq_ev_extra1) values (1, 'a', 'xt', 'E1')").events[1])
      .toEqual(['xt', null, 'E1', 'e2', null, 'x4']);
    expect(at('insert into public.t_badmagic values (1)').error).toBe('Unknown magic column: _pgq_ev_nope');
    expect(at('insert into public.t_badarg values (1)').error).toBe('bad param to pgq trigger');
    expect(at('insert into public.t_noq values (1)').error).toBe('pgq trigger must have destination queue as argument');
    expect(at('insert into public.t_stmt values (1)').error).toBe('pgq Ins/Upd/Del trigger must be fired FOR EACH ROW');
    expect(at("update public.t_nopk set v = 'y'").error).toBe('Update/Delete on table without pkey');
    expect(at('insert into public."Odd Table" values (1, \'x\', 2)').events.map((e) => e[1])).toEqual([
      '{"Key":1,"the value":"x","a,b":2}', 'Key=1&the+value=x&a%2cb=2', '("Key","the value","a,b") values (\'1\',\'x\',\'2\')']);
    expect(at('update public.t_pkupd set id = 2').error).toBe('primary key update not allowed');
  });

  it('queue TRUNCATE, and do nothing with session_replication_role local', async () => {
    const statements = [
      'create table public.t_tr (id int primary key, v text)',
      ...triggers('t_tr', '', 'after', 'truncate').map((t) => t.replace('for each row', 'for each statement')),
      'truncate public.t_tr',
      'create table public.t_tr_deny (id int primary key)',
      ...triggers('t_tr_deny', ", 'deny'", 'after', 'truncate').map((t) => t.replace('for each row', 'for each statement')),
      'truncate public.t_tr_deny',
      'create table public.t_tr_bad (id int primary key)',
      "create trigger t_tr_bad after truncate on public.t_tr_bad for each statement execute procedure pgq.logutriga('q', 'ev_extra1=1')",
      'truncate public.t_tr_bad',
      'drop trigger t_tr_bad on public.t_tr_bad',
      "create trigger t_tr_bad after truncate on public.t_tr_bad for each statement execute procedure pgq.sqltriga('q', 'ignore=id')",
      'truncate public.t_tr_bad',
      'drop trigger t_tr_bad on public.t_tr_bad',
      "create trigger t_tr_bad after truncate on public.t_tr_bad for each statement execute procedure pgq.jsontriga('q', 'backup')",
      'truncate public.t_tr_bad',
      'create table public.t_role (id int primary key)',
      ...triggers('t_role'),
      ...triggers('t_role', ", 'SKIP'", 'before').map((t) => t.replace('t_role_', 't_role_skip_')),
      'set session_replication_role = local',
      'insert into public.t_role values (1)',
      'truncate public.t_tr',
      'set session_replication_role = replica',
      'insert into public.t_role values (2)',
      'reset session_replication_role',
      'select count(*) from public.t_role',
      'insert into public.t_role values (3)',
    ];
    const mine = await compare('trig_trunc', statements);
    const at = (sql: string, nth = 0) => mine.filter((o) => o.sql === sql)[nth]!;
    expect(at('truncate public.t_tr').events).toEqual([
      ['{"op":"TRUNCATE","table":["public","t_tr"],"pkey":["id"]}', '{}', 'public.t_tr', null, null, null],
      ['R', '', 'public.t_tr', null, null, null],
      ['R', '', 'public.t_tr', null, null, null]]);
    expect(at('truncate public.t_tr_deny').error).toBe("Table 'public.t_tr_deny' to queue 'q': change not allowed (TRUNCATE)");
    expect(mine.filter((o) => o.sql === 'truncate public.t_tr_bad').map((o) => o.error)).toEqual([
      'Custom expressions do not make sense for truncater trigger',
      'Column ignore does not make sense for truncate trigger',
      'Backup does not make sense for truncate trigger']);
    expect(at('insert into public.t_role values (1)').events).toEqual([]);
    expect(at('truncate public.t_tr', 1).events).toEqual([]);
    expect(at('insert into public.t_role values (2)').events).toEqual([]);
    // The BEFORE ... SKIP triggers let rows 1 and 2 in (local: not run; replica: not fired), and keep 3 out.
    expect(at('select count(*) from public.t_role').rows).toEqual([['2']]);
    expect(at('insert into public.t_role values (3)').events.length).toBe(1);
  });
});
