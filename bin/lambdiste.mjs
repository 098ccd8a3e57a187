#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx lambdiste` needs no build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { main } = await import(fileURLToPath(new URL('../lib/cli/main.ts', import.meta.url)));
process.exitCode = await main(process.argv.slice(2));
// Whatever a command left open (a pool, a timer), the command is over.
setTimeout(() => process.exit(process.exitCode), 200);
