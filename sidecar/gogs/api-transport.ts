/**
 * One HTTP exchange with the Gogs API v1: builds the URL, sends the credentials in the header Gogs expects,
 * enforces the time-out, and turns every failure into an AppError (see api-errors.ts). Replies come back as
 * bytes; callers validate them with parseJsonReply.
 */
import type { z } from 'zod';
import {
  type CallDescription,
  errorForBadReply,
  errorForNetwork,
  errorForStatus,
  errorForTimeout,
  type GogsTopic,
} from './api-errors.ts';

export interface GogsTransportOptions {
  baseUrl: string;
  /** The full Authorization header value (`token …` or `Basic …`). */
  authorization: string;
  timeoutMs: number;
  fetch: typeof fetch;
  userAgent: string;
  credentialHint: string;
  secrets: readonly string[];
}

export interface GogsCall {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Path below /api/v1 with every segment already encoded; never a query string. */
  path: string;
  /** Sent as the query string; never named in messages. */
  query?: Readonly<Record<string, string>>;
  topic: GogsTopic;
  subject: string;
  body?: unknown;
  accept?: string;
  /** Non-2xx statuses the caller turns into a value itself (e.g. 404 for "absent"). */
  tolerate?: readonly number[];
  /** Read at most this many bytes and one more of the answer, then stop (the caller refuses what is longer). */
  maxBytes?: number;
}

export interface GogsReply {
  status: number;
  bytes: Uint8Array;
  describe: CallDescription;
}

export interface GogsTransport {
  send(call: GogsCall): Promise<GogsReply>;
}

/** `https://git.example.com/sub/` and `https://git.example.com/sub` both give `https://git.example.com/sub/api/v1`. */
export function apiRootOf(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/api/v1`;
}

function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

export function createGogsTransport(options: GogsTransportOptions): GogsTransport {
  const apiRoot = apiRootOf(options.baseUrl);
  const host = hostOf(options.baseUrl);

  return {
    async send(call) {
      const describe: CallDescription = {
        method: call.method,
        path: call.path,
        topic: call.topic,
        subject: call.subject,
        host,
        credentialHint: options.credentialHint,
        secrets: options.secrets,
      };
      const headers: Record<string, string> = {
        Authorization: options.authorization,
        Accept: call.accept ?? 'application/json',
        'User-Agent': options.userAgent,
      };
      let body: string | undefined;
      if (call.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(call.body);
      }

      let status: number;
      let bytes: Uint8Array;
      try {
        const search = call.query === undefined ? '' : `?${new URLSearchParams(call.query)}`;
        const response = await options.fetch(`${apiRoot}${call.path}${search}`, {
          method: call.method,
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        status = response.status;
        bytes =
          call.maxBytes === undefined
            ? new Uint8Array(await response.arrayBuffer())
            : await readAtMost(response, call.maxBytes + 1);
      } catch (error) {
        throw isTimeout(error)
          ? errorForTimeout(describe, options.timeoutMs, error)
          : errorForNetwork(describe, error);
      }

      const ok = status >= 200 && status < 300;
      if (!ok && !call.tolerate?.includes(status)) throw errorForStatus(describe, status, bytes);
      return { status, bytes, describe };
    },
  };
}

function problemsOf(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(reply)'}: ${issue.message}`)
    .join('; ');
}

/** Parses and validates a JSON reply; anything else is GOGS_UNAVAILABLE naming what was wrong. */
export function parseJsonReply<T>(reply: GogsReply, schema: z.ZodType<T>, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(reply.bytes));
  } catch {
    throw errorForBadReply(reply.describe, reply.status, `${what}: the body is not JSON`);
  }
  const result = schema.safeParse(parsed);
  if (!result.success)
    throw errorForBadReply(reply.describe, reply.status, `${what}: ${problemsOf(result.error)}`);
  return result.data;
}

export function parseTextReply<T>(reply: GogsReply, schema: z.ZodType<T>, what: string): T {
  const result = schema.safeParse(new TextDecoder().decode(reply.bytes).trim());
  if (!result.success)
    throw errorForBadReply(reply.describe, reply.status, `${what}: ${problemsOf(result.error)}`);
  return result.data;
}

/** The first `limit` bytes of the answer; the rest is not read (the connection is cancelled). */
async function readAtMost(response: Response, limit: number): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  while (length < limit) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.length;
  }
  if (length >= limit) await reader.cancel();
  return Buffer.concat(chunks).subarray(0, limit);
}
