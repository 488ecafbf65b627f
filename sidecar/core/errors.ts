/**
 * The one error type for real failures (expected outcomes are values, not throws).
 * `code` is UPPER_SNAKE and stable; `http/` alone maps codes to statuses.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'BAD_REQUEST'
  | 'PAYLOAD_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_INVALID'
  | 'REPO_UNKNOWN'
  | 'REPO_INACTIVE'
  | 'PAYLOAD_INVALID'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'GOGS_UNAUTHORIZED'
  | 'GOGS_FORBIDDEN'
  | 'GOGS_NOT_FOUND'
  | 'GOGS_INVALID_REQUEST'
  | 'GOGS_UNAVAILABLE'
  | 'GOGS_TIMEOUT'
  | 'STORE_FAILED'
  | 'SECRET_KEY_INVALID'
  | 'DECRYPT_FAILED'
  | 'SSH_HOST_KEY_UNKNOWN'
  | 'GIT_FAILED'
  | 'INTERNAL';

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  /** Safe, structured context for logs and responses; never put secrets here. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }
}

export function isAppError(error: unknown, code?: ErrorCode): error is AppError {
  return error instanceof AppError && (code === undefined || error.code === code);
}
