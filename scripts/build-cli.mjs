// Bundles the CLI (lib/cli/main.ts and the sources it imports) into
// dist/cli with esbuild, so that a command starts without compiling
// TypeScript: tsx took most of a second at every start. `npm install` runs
// this (prepare), and so does `npm test`. What a command may not need (the
// demo, the AWS SDK for --via-lambda) stays behind dynamic imports, which
// esbuild splits into chunks loaded only when used.
//
// dist/cli/inputs.json lists the sources, rewritten at every build:
// bin/lambdiste.mjs runs the sources instead when one is newer than it.
//
//   node scripts/build-cli.mjs            build
//   node scripts/build-cli.mjs --check    exit 1 if dist/cli is not what the sources build to
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
const check = process.argv.includes('--check');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // Without esbuild (an install without it), bin/lambdiste.mjs runs the sources: slower, same result.
  console.warn('build-cli: esbuild is not installed; the CLI will run from its TypeScript sources');
  process.exit(check ? 1 : 0);
}

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { main: 'lib/cli/main.ts' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  outExtension: { '.js': '.mjs' },
  // Packages are bundled too: one file parsed beats resolving and loading
  // pg's dozens of CommonJS files. The AWS SDK and Powertools are only
  // reached through dynamic imports and stay in node_modules, as for Lambda.
  external: ['@aws-sdk/*', '@aws-lambda-powertools/*', 'pg-native'],
  // pg is CommonJS: its require() calls need a require in an ESM bundle.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  metafile: true,
  write: false,
  logLevel: 'warning',
});

const files = new Map(result.outputFiles.map((f) => [relative(outdir, f.path), f.text]));
const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith('node_modules/')).sort();
files.set('inputs.json', JSON.stringify({ inputs }, null, 1) + '\n');

const present = existsSync(outdir) ? readdirSync(outdir) : [];
if (check) {
  const stale = [...files].filter(([name, text]) => !existsSync(join(outdir, name)) || readFileSync(join(outdir, name), 'utf8') !== text);
  const extra = present.filter((name) => !files.has(name));
  if (stale.length || extra.length) {
    console.error(`dist/cli is stale (not what the sources build to: ${[...stale.map(([n]) => n), ...extra].join(', ')}): run npm run build`);
    process.exit(1);
  }
} else {
  mkdirSync(outdir, { recursive: true });
  for (const name of present) if (!files.has(name)) rmSync(join(outdir, name));
  for (const [name, text] of files) writeFileSync(join(outdir, name), text);
}
