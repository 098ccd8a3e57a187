/**
 * Lambdiste's CLI daemons as users start them, for the benchmarks:
 * `node bin/lambdiste.mjs NODE.ini worker` in a process of its own, with
 * an ini file and the defaults unless settings are given.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeConfig } from '../lib/admin/types.ts';

export interface Daemon {
  /** Its log (stderr) so far. */
  log(): string;
  /** SIGTERM; resolves to the exit code. */
  stop(): Promise<number | null>;
}

const bin = join(import.meta.dirname, '..', 'bin', 'lambdiste.mjs');

/** Writes NODE.ini for `config` (and extra settings) in a new temporary directory. */
export function iniFile(config: NodeConfig, settings: Record<string, string> = {}): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lambdiste-bench-')), `${config.jobName}.ini`);
  const keys = { job_name: config.jobName, db: config.db, queue_name: config.queueName, ...config.settings, ...settings };
  writeFileSync(path, `[londiste3]\n${Object.entries(keys).map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  return path;
}

/** `lambdiste NODE.ini COMMAND` running in its own process until stopped. */
export function startDaemon(config: NodeConfig, command: 'worker' | 'ticker', settings: Record<string, string> = {}): Daemon {
  const child = spawn(process.execPath, [bin, iniFile(config, settings), command], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.setEncoding('utf8').on('data', (s: string) => (log += s));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  return {
    log: () => log,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
