/**
 * The londiste3-style command line:
 *
 *   lambdiste CONFIG.ini COMMAND [ARGS] [OPTIONS]
 *   lambdiste demo [--duration=SECONDS] [--rate=TPS]
 *
 * Log lines (`INFO Table added: ...`) go to stderr, as londiste3's Python
 * logging does; result tables go to stdout, so they can be piped.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { runCommand as runDirect } from '../admin/index.ts';
import type { CommandContext, CommandOptions, CommandResult, LogLevel } from '../admin/types.ts';
import { loadNodeConfig } from '../config.ts';
import { formatLogLine, formatTable } from './format.ts';

type Runner = (ctx: CommandContext, command: string, args: string[], options: CommandOptions) => Promise<CommandResult>;

export interface MainDeps {
  stdout?: { write(s: string): unknown };
  stderr?: { write(s: string): unknown };
  /** Replaces the command implementation (tests of argument handling). */
  runCommand?: Runner;
  runDemo?: (options: { duration?: number; rate?: number }) => Promise<number>;
}

const positiveInt = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return Number(v);
};
const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('must be a number of seconds');
  return n;
};

interface Spec {
  usage: string;
  about: string;
  options?: Option[];
}

const specs: Record<string, Spec> = {
  'install': { usage: 'install', about: 'install or upgrade the pgq and lambdiste schemas' },
  'create-root': { usage: 'create-root <node> [connstr]', about: 'make this database the root of the queue' },
  'create-leaf': {
    usage: 'create-leaf <node> [connstr]',
    about: 'make this database a leaf, subscribed to the root or a branch',
    options: [new Option('--provider <connstr>', 'connect string of the provider, the root or a branch (required unless --via-lambda)')],
  },
  'create-branch': {
    usage: 'create-branch <node> [connstr]',
    about: 'make this database a branch: a subscriber that serves subscribers of its own',
    options: [new Option('--provider <connstr>', 'connect string of the provider, the root or a branch (required unless --via-lambda)')],
  },
  'members': { usage: 'members', about: 'the nodes of the queue' },
  'node-status': { usage: 'node-status', about: 'this node: provider, subscribers, lag' },
  'change-provider': {
    usage: 'change-provider',
    about: 'read from another node (the root or a branch)',
    options: [
      new Option('--provider <node>', 'the new provider, by node name'),
      new Option('--timeout <seconds>', 'give up waiting for the new provider after this long').argParser(seconds).default(600),
    ],
  },
  'takeover': {
    usage: 'takeover <oldnode>',
    about: 'run on a branch: it becomes the root, the old root follows it',
    options: [new Option('--timeout <seconds>', 'give up waiting after this long').argParser(seconds).default(600)],
  },
  'tag-dead': { usage: 'tag-dead <node>', about: 'mark a node as gone' },
  'drop-node': { usage: 'drop-node <node>', about: 'remove a subscriber from the queue' },
  'add-table': {
    usage: 'add-table [tables...]',
    about: 'replicate tables',
    options: [
      new Option('--all', 'every table listed by missing'),
      new Option('--max-parallel-copy <n>', 'start the copy while fewer than n tables copy').argParser(positiveInt('--max-parallel-copy')),
      new Option('--skip-truncate', 'keep existing subscriber rows when copying'),
      new Option('--copy-condition <sql>', 'copy only provider rows matching this condition'),
      new Option('--create', 'create a missing subscriber table from the provider'),
      new Option('--expect-sync', 'no copy: the data is already identical'),
      new Option('--rows-per-event <n>', 'root: rows per event of multi-row statements (1: one event per row)').argParser(positiveInt('--rows-per-event')),
    ],
  },
  'remove-table': { usage: 'remove-table <tables...>', about: 'stop replicating tables (data stays)' },
  'add-seq': { usage: 'add-seq [seqs...]', about: 'replicate sequences', options: [new Option('--all', 'every sequence listed by missing')] },
  'remove-seq': { usage: 'remove-seq <seqs...>', about: 'stop replicating sequences' },
  'tables': { usage: 'tables', about: 'tables on this node and their state' },
  'seqs': { usage: 'seqs', about: 'sequences on this node' },
  'missing': { usage: 'missing', about: 'tables and sequences not replicated yet' },
  'status': { usage: 'status', about: 'the nodes of the queue, with lag' },
  'resync': { usage: 'resync <tables...>', about: 'copy tables again' },
  'wait-sync': {
    usage: 'wait-sync',
    about: 'wait until every table is ok',
    options: [new Option('--timeout <seconds>', 'give up after this long').argParser(seconds).default(600)],
  },
  'compare': { usage: 'compare [tables...]', about: 'leaf: row counts and checksums here and on the provider, at one stream position' },
  'pause': { usage: 'pause', about: "leaf: stop applying batches until resume" },
  'resume': { usage: 'resume', about: "leaf: apply batches again after pause" },
  'repair': {
    usage: 'repair [tables...]',
    about: 'leaf: fix the rows that differ from the provider, at one stream position',
    options: [new Option('--dry-run', 'print the SQL, change nothing')],
  },
  'execute': { usage: 'execute <files...>', about: 'root: run SQL files here and at the same place of the stream on every subscriber' },
  'worker': { usage: 'worker', about: "run this node's work in this process", options: [new Option('--once', 'one round, then exit')] },
  'ticker': { usage: 'ticker', about: "run the root's ticker in this process", options: [new Option('--once', 'one round, then exit')] },
};

const truthy = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v);

export async function main(argv: string[], deps: MainDeps = {}): Promise<number> {
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  let job: (() => Promise<number>) | undefined;

  const program = new Command('lambdiste')
    .usage('CONFIG.ini COMMAND [ARGS] [OPTIONS]  |  lambdiste demo [--duration=SECONDS]')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });

  // londiste3 puts the config file first: take it off before commander sees the command.
  const first = argv[0];
  const configPath = first !== undefined && first !== 'demo' && !first.startsWith('-') ? first : undefined;
  const rest = configPath ? argv.slice(1) : argv;

  for (const [name, spec] of Object.entries(specs)) {
    const cmd = program.command(spec.usage).description(spec.about);
    for (const o of spec.options ?? []) cmd.addOption(o);
    cmd
      .option('-v, --verbose', 'show the SQL sent (DEBUG lines)')
      .option('-q, --quiet', 'only warnings and errors')
      .option('--via-lambda', 'run through the deployed admin function');
    cmd.action((...params: unknown[]) => {
      const c = params.at(-1) as Command;
      const opts = c.opts() as Record<string, unknown>;
      const args = params.slice(0, -2).flat().filter((a): a is string => typeof a === 'string');
      job = () => runNode(name, args, opts);
    });
  }
  program
    .command('demo')
    .description('replicate a live workload between embedded PostgreSQL servers and verify the result')
    .option('--duration <seconds>', 'seconds of load', seconds, 60)
    .option('--rate <tps>', 'transactions per second', positiveInt('--rate'), 100)
    .action((opts: { duration: number; rate: number }) => {
      job = async () => {
        const run = deps.runDemo ?? (await import('../demo/main.ts')).runDemo;
        return run({ duration: opts.duration, rate: opts.rate });
      };
    });

  async function runNode(command: string, args: string[], opts: Record<string, unknown>): Promise<number> {
    if (!configPath) throw new Error(`${command} needs a config file: lambdiste CONFIG.ini ${command}`);
    const config = loadNodeConfig(configPath);
    const { verbose, quiet, viaLambda, ...rest } = opts;
    const log = (level: LogLevel, message: string) => {
      if (level === 'DEBUG' && !verbose) return;
      if (quiet && (level === 'DEBUG' || level === 'INFO')) return;
      stderr.write(formatLogLine(level, message) + '\n');
    };
    const abort = new AbortController();
    const stop = () => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      // The AWS SDK takes longer to load than most commands take to run: loaded only for --via-lambda.
      const runner: Runner =
        deps.runCommand ??
        (viaLambda || truthy(config.settings.via_lambda) ? (await import('../admin/remote.ts')).runCommandViaLambda : runDirect);
      const result = await runner(
        { config, log, verbose: Boolean(verbose), signal: abort.signal },
        command, args, rest as CommandOptions,
      );
      for (const t of result.tables) stdout.write(formatTable(t));
      for (const l of result.lines ?? []) stdout.write(l + '\n');
      return result.exitCode;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  }

  try {
    await program.parseAsync(rest, { from: 'user' });
    if (!job) {
      stderr.write(program.helpInformation());
      return 1;
    }
    return await job();
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 1;
    const e = err as Error;
    stderr.write(formatLogLine('ERROR', e.message) + '\n');
    if (argv.includes('-v') || argv.includes('--verbose')) stderr.write(`${e.stack}\n`);
    return 1;
  }
}
