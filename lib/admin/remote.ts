import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { CommandContext, CommandOptions, CommandResult, LogLevel } from './types.ts';
import { CommandError } from './session.ts';
import { sqlFiles } from './execute.ts';

/**
 * Runs a command through the deployed admin function instead of against
 * the database directly (`--via-lambda`, or `via_lambda = 1` in the ini).
 * The ini names the function (`admin_function`, default lambdiste-dev-admin)
 * and the node as the topology knows it (`node_name`, default job_name).
 * Endpoint and credentials are the AWS SDK's: AWS_ENDPOINT_URL(_LAMBDA)
 * points it at LocalStack or serverless-offline.
 */
export async function runCommandViaLambda(
  ctx: CommandContext, command: string, args: string[], options: CommandOptions, client = new LambdaClient({}),
): Promise<CommandResult> {
  const s = ctx.config.settings;
  const functionName = s.admin_function ?? 'lambdiste-dev-admin';
  const { viaLambda: _drop, ...rest } = options;
  let sendArgs = args;
  if (command === 'execute') {
    // The function cannot read the caller's files: their texts go along.
    const files = sqlFiles(args, {});
    rest.files = JSON.stringify(files);
    sendArgs = files.map((f) => f.name);
  }
  const payload = { node: s.node_name ?? ctx.config.jobName, command, args: sendArgs, options: rest };
  const r = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(payload)),
    }),
  );
  const text = r.Payload ? new TextDecoder().decode(r.Payload) : '';
  let body: { ok?: boolean; error?: string; exitCode?: number; log?: { level: LogLevel; message: string }[]; tables?: CommandResult['tables']; lines?: string[]; data?: unknown; errorMessage?: string };
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new CommandError(`Admin function ${functionName} answered something that is not JSON`);
  }
  if (r.FunctionError) throw new CommandError(`Admin function ${functionName} failed: ${body.errorMessage ?? text}`);
  for (const l of body.log ?? []) ctx.log(l.level, l.message);
  if (body.exitCode === undefined) throw new CommandError(body.error ?? `Admin function ${functionName}: no result`);
  return { exitCode: body.exitCode, tables: body.tables ?? [], lines: body.lines, data: body.data };
}
