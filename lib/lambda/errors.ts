import type { MiddlewareObj } from '@middy/core';
import { TopologyError } from '../topology.ts';
import { logger } from './runtime.ts';

export interface ErrorResponse {
  ok: false;
  error: string;
  details?: unknown;
}

/** Errors that are the caller's fault: answered with a clear message, never retried. */
export function isBadInput(err: unknown): boolean {
  const e = err as { name?: string; cause?: { package?: string } };
  return err instanceof TopologyError || e?.cause?.package === '@middy/validator' || e?.name === 'BadEventError';
}

export class BadEventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadEventError';
  }
}

/**
 * Bad input becomes an `{ ok: false, error }` response. Other errors are
 * logged and, unless `answerAll`, rethrown so that Lambda reports the
 * invocation as failed (and retries asynchronous ones; consumers are
 * idempotent, so a retry is safe).
 */
export function errorResponse<E, R>(answerAll = false): MiddlewareObj<E, R | ErrorResponse> {
  return {
    onError: async (request) => {
      const err = request.error as Error & { cause?: { data?: unknown } };
      if (isBadInput(err)) {
        logger.warn('bad input', { error: err.message });
        request.response = { ok: false, error: err.message, details: err.cause?.data };
        return;
      }
      logger.error('invocation failed', err);
      if (answerAll) request.response = { ok: false, error: err.message };
    },
  };
}

/**
 * The validator's options for events: types as sent, never coerced (ajv's
 * default for middy turns `{ "node": 7 }` into "7" and `["dst"]` into
 * "dst", and answers such an event as if it were well formed).
 */
export const strictEvents = { coerceTypes: false } as const;
