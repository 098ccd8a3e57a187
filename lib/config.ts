/**
 * A node's londiste3-style .ini file:
 *
 *   [londiste3]                 ([lambdiste] is accepted too)
 *   job_name = dst1_digoal_01
 *   db = host=hostb dbname=digoal_01     (a libpq string or a URL)
 *   queue_name = replika
 *   logfile = log/%(job_name)s.log       (ConfigParser-style references)
 *
 * Every other key lands in `settings` (provider_db, parallel_copies,
 * loop_delay, tick_period, admin_function, node_name, via_lambda, ...).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'ini';
import type { NodeConfig } from './admin/types.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const SECTIONS = ['londiste3', 'lambdiste'];
const REQUIRED = ['job_name', 'db', 'queue_name'] as const;

/** Expands %(name)s references from the same section, recursively, refusing loops. */
function expand(section: Record<string, string>, source: string): Record<string, string> {
  const out: Record<string, string> = {};
  const resolve = (key: string, seen: string[]): string => {
    if (key in out) return out[key]!;
    if (seen.includes(key)) throw new ConfigError(`${source}: reference loop ${[...seen, key].join(' -> ')}`);
    const raw = section[key];
    if (raw === undefined) throw new ConfigError(`${source}: unknown reference %(${key})s in "${seen.at(-1)}"`);
    const value = raw.replace(/%\((\w+)\)s/g, (_, name: string) => resolve(name, [...seen, key]));
    out[key] = value;
    return value;
  };
  for (const key of Object.keys(section)) resolve(key, []);
  return out;
}

export function parseNodeConfig(text: string, source: string): NodeConfig {
  const doc = parse(text) as Record<string, unknown>;
  const name = SECTIONS.find((s) => typeof doc[s] === 'object' && doc[s] !== null);
  if (!name) throw new ConfigError(`${source}: no [londiste3] section`);
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc[name] as Record<string, unknown>)) {
    if (typeof v === 'string') raw[k] = v.trim();
    else if (typeof v === 'boolean') raw[k] = String(v);
  }
  const values = expand(raw, source);
  for (const key of REQUIRED) {
    if (values[key] === undefined) throw new ConfigError(`${source}: missing key "${key}" in section [${name}]`);
    if (values[key] === '') throw new ConfigError(`${source}: key "${key}" in section [${name}] is empty`);
  }
  const { job_name, db, queue_name, ...settings } = values;
  return { jobName: job_name!, db: db!, queueName: queue_name!, settings };
}

export function loadNodeConfig(path: string): NodeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNodeConfig(text, `Config file ${path}`);
}
