import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { NodeConfig } from '../../lib/admin/types.ts';
import { connect } from '../../lib/db/connect.ts';

const repo = join(import.meta.dirname, '..', '..');

/** A `lambdiste` command running in its own process, as users run it. */
export interface CliProcess {
  /** Everything it wrote to stderr (its log) so far. */
  log(): string;
  /** Resolves to its exit code (null if a signal killed it). */
  exited: Promise<number | null>;
  running(): boolean;
  /** Sends SIGTERM and resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Writes the node's ini file, with extra settings, and returns its path. */
export function writeIni(config: NodeConfig, settings: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'lambdiste-daemon-'));
  const path = join(dir, `${config.jobName}.ini`);
  const lines = Object.entries({ job_name: config.jobName, db: config.db, queue_name: config.queueName, ...config.settings, ...settings });
  writeFileSync(path, `[londiste3]\n${lines.map(([k, v]) => `${k} = ${v}`).join('\n')}\n`);
  return path;
}

/** `node bin/lambdiste.mjs NODE.ini COMMAND`; killed when the test ends if still running. */
export function startCli(config: NodeConfig, command: string, settings: Record<string, string> = {}): CliProcess {
  const child: ChildProcess = spawn(process.execPath, ['bin/lambdiste.mjs', writeIni(config, settings), command], {
    cwd: repo,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = false;
  void exited.then(() => (done = true));
  onTestFinished(() => {
    if (!done) child.kill('SIGKILL');
  });
  return {
    log: () => stderr,
    exited,
    running: () => !done,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Polls `check` until it returns true; fails, saying what was awaited, after `timeoutMs`. */
export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Backends on the server of `url` whose application_name is `name` (a daemon names its connections by job). */
export async function backends(url: string, name: string): Promise<number> {
  const db = await connect(url);
  try {
    const { rows } = await db.query('select count(*)::int as n from pg_stat_activity where application_name = $1', [name]);
    return rows[0].n;
  } finally {
    await db.end();
  }
}

/** Cuts those connections, as a failover, a server restart or a proxy's idle timeout does. Returns how many. */
export async function terminate(url: string, name: string): Promise<number> {
  const db = await connect(url);
  try {
    const { rows } = await db.query(
      'select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where application_name = $1 and pid <> pg_backend_pid()',
      [name],
    );
    return rows[0].n;
  } finally {
    await db.end();
  }
}
