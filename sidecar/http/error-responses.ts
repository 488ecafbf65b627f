import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { AppError, type ErrorCode, type Logger } from '../core/index.ts';

/** The one place where error codes become HTTP statuses. */
const STATUS_OF: Record<ErrorCode, ContentfulStatusCode> = {
  CONFIG_INVALID: 500,
  BAD_REQUEST: 400,
  PAYLOAD_TOO_LARGE: 413,
  REQUEST_TIMEOUT: 408,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  REPO_UNKNOWN: 401,
  REPO_INACTIVE: 401,
  PAYLOAD_INVALID: 400,
  NOT_FOUND: 404,
  CONFLICT: 409,
  GOGS_UNAUTHORIZED: 502,
  GOGS_FORBIDDEN: 502,
  GOGS_NOT_FOUND: 502,
  GOGS_INVALID_REQUEST: 502,
  GOGS_UNAVAILABLE: 502,
  GOGS_TIMEOUT: 504,
  STORE_FAILED: 503,
  SECRET_KEY_INVALID: 500,
  DECRYPT_FAILED: 500,
  SSH_HOST_KEY_UNKNOWN: 502,
  GIT_FAILED: 502,
  INTERNAL: 500,
};

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS_OF[code];
}

export function requestIdOf(c: Context): string {
  return c.get('requestId' as never) ?? '';
}

/** `{ error: { code, message, requestId } }`, the one error shape of every route. */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return c.json({ error: { code, message, requestId: requestIdOf(c), ...extra } }, statusOf(code));
}

/**
 * Hono's onError: AppErrors keep their code; anything else is logged and answered as INTERNAL without detail.
 * The message of a server-side failure (5xx) stays in the log: it may name key ids, rows or hosts, and whoever
 * called can be anyone on the network.
 */
export function handleError(logger: Logger) {
  return (error: Error, c: Context) => {
    if (error instanceof AppError) {
      if (statusOf(error.code) < 500) return errorResponse(c, error.code, error.message);
      logger.error(`http: ${error.message}`, {
        code: error.code,
        request_id: requestIdOf(c),
        path: c.req.path,
      });
      return errorResponse(
        c,
        error.code,
        `the sidecar could not complete this request; its log has the details under request id ${requestIdOf(c)}`,
      );
    }
    logger.error(`http: unexpected error: ${error.stack ?? error.message}`, {
      request_id: requestIdOf(c),
      path: c.req.path,
    });
    return errorResponse(c, 'INTERNAL', 'internal error; the sidecar log has the details');
  };
}
