/**
 * The contract between the admin commands (lib/admin), the CLI (lib/cli) and
 * the admin Lambda function: a command gets a node's configuration, reports
 * londiste3-style log lines as it goes, and returns data, never text.
 */

/** One node's configuration, as read from a londiste3-style .ini file. */
export interface NodeConfig {
  /** `job_name`: names the node's worker and its log. */
  jobName: string;
  /** `db`: libpq connection string or URL of this node's database. */
  db: string;
  /** `queue_name`: the replication queue (one per root). */
  queueName: string;
  /** Every other key of the section, verbatim (already %(name)s-expanded). */
  settings: Record<string, string>;
}

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

/** Where a command reports progress: printed as `LEVEL message` by the CLI, collected by the admin function. */
export type LogFn = (level: LogLevel, message: string) => void;

/** A cell of a result table: printed the way londiste3 prints Python values. */
export type Cell = string | number | boolean | null | Record<string, string>;

/** A londiste3 result table, such as `Tables on node` with its columns. */
export interface ResultTable {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface CommandResult {
  /** 0 on success; 1 when the command failed (after logging an ERROR line). */
  exitCode: number;
  /** Tables to print, in order (empty tables print nothing at all, as in londiste3). */
  tables: ResultTable[];
  /** Result lines printed as they are, after the tables (compare's `public.t: ok (...)`). */
  lines?: string[];
  /** Structured result for callers that want data rather than text (the admin function), e.g. status. */
  data?: unknown;
}

export interface CommandContext {
  config: NodeConfig;
  log: LogFn;
  /** `-v`: log every SQL statement at DEBUG. */
  verbose: boolean;
  /** Aborted when a long-running command (worker, ticker, wait-sync) should stop. */
  signal?: AbortSignal;
}

/**
 * Options of a command, parsed from `--name=value` flags: keys are the
 * long option names in camelCase (`maxParallelCopy`, `skipTruncate`,
 * `copyCondition`, `create`, `all`, `provider`, `once`, `timeout`, ...).
 */
export type CommandOptions = Record<string, string | number | boolean | undefined>;
