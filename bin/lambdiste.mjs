#!/usr/bin/env node
// Runs the CLI bundle that `npm install` builds into dist/cli
// (scripts/build-cli.mjs): no TypeScript to compile at each start. When the
// bundle is missing or older than one of its sources (a checkout being
// worked on), or LAMBDISTE_FROM_SOURCE=1, it runs the sources through tsx,
// so that development needs no build step and never runs stale code.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const stamp = new URL('dist/cli/inputs.json', root);

/** Why the sources run instead of the bundle, or undefined to run the bundle. */
function whyFromSource() {
  if (process.env.LAMBDISTE_FROM_SOURCE === '1') return 'LAMBDISTE_FROM_SOURCE=1';
  let built, inputs;
  try {
    built = statSync(stamp).mtimeMs;
    inputs = JSON.parse(readFileSync(stamp, 'utf8')).inputs;
  } catch {
    return 'dist/cli is not built';
  }
  for (const file of inputs) {
    try {
      if (statSync(new URL(file, root)).mtimeMs > built) return `${file} is newer than dist/cli`;
    } catch {
      return `${file} is gone`;
    }
  }
  return undefined;
}

const argv = process.argv.slice(2);
const why = whyFromSource();
if (argv.includes('-v') || argv.includes('--verbose')) {
  process.stderr.write(`DEBUG Running lambdiste from ${why ? `its TypeScript sources (${why})` : 'the bundle in dist/cli'}\n`);
}
let main;
if (why) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('lib/cli/main.ts', root)));
} else {
  ({ main } = await import(new URL('dist/cli/main.mjs', root)));
}
process.exitCode = await main(argv);
// Whatever a command left open (a pool, a timer), the command is over; with nothing open, exit at once.
setTimeout(() => process.exit(process.exitCode), 200).unref();
