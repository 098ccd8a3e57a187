/** The Lambda handlers, called in process with a real time budget, as the functions' tests do. */
import { handler as admin } from '../../functions/admin.ts';
import { localContext } from '../../lib/lambda/runtime.ts';

export type Response = {
  ok: boolean;
  error?: string;
  exitCode?: number;
  lines?: string[];
  data?: unknown;
  log?: { level: string; message: string }[];
  [k: string]: unknown;
};

/** One invocation of `handler` with `ms` of time. */
export const call = async (handler: (e: never, c: never) => Promise<unknown>, event: unknown, ms = 60_000) =>
  (await handler(event as never, localContext('test', ms) as never)) as Response;

/** The Lambda API as runCommandViaLambda (the CLI's --via-lambda) uses it, answered by the admin handler in process. */
export const adminClient = {
  send: async (cmd: { input: { Payload: Uint8Array } }) => ({
    Payload: new TextEncoder().encode(JSON.stringify(await call(admin, JSON.parse(new TextDecoder().decode(cmd.input.Payload))))),
  }),
};
