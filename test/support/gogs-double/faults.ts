/**
 * Fault injection and the request log of the Gogs TEST DOUBLE. A fault applies to the next `times` requests
 * that match it (API requests by default): it can delay the request, answer in Gogs' place, or drop the
 * connection.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GOGS_DOCS_URL, INTERNAL_ERROR_MESSAGE } from './api-support.ts';

export interface Fault {
  /** How many matching requests it applies to; default 1. */
  times?: number;
  /** Which requests: a method+path test; default every request under /api/. */
  match?: (request: { method: string; path: string }) => boolean;
  /** Wait this long first (then answer normally unless `reply` or `drop` is set). */
  delayMs?: number;
  /** Answer this instead of Gogs; `body` is sent as is. Default for a fault with nothing else: Gogs' 500. */
  reply?: { status: number; body?: string; headers?: Record<string, string> };
  /** Destroy the connection without an answer. */
  drop?: boolean;
}

export interface RequestRecord {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string>;
  at: string;
}

const GOGS_500 = {
  status: 500,
  body: JSON.stringify({ message: INTERNAL_ERROR_MESSAGE, url: GOGS_DOCS_URL }),
  headers: { 'Content-Type': 'application/json; charset=UTF-8' },
};

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

export interface FaultInjector {
  add(fault: Fault): void;
  clear(): void;
  requests(): RequestRecord[];
  /** Logs the request and applies a matching fault; true when the fault already answered it. */
  intercept(request: IncomingMessage, response: ServerResponse): Promise<boolean>;
}

export function createFaultInjector(): FaultInjector {
  const faults: { fault: Fault; left: number }[] = [];
  const log: RequestRecord[] = [];

  function take(method: string, path: string): Fault | null {
    const index = faults.findIndex(({ fault }) =>
      fault.match ? fault.match({ method, path }) : path.startsWith('/api/'),
    );
    if (index === -1) return null;
    const entry = faults[index]!;
    entry.left--;
    if (entry.left <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  return {
    add(fault) {
      faults.push({ fault, left: fault.times ?? 1 });
    },
    clear() {
      faults.length = 0;
    },
    requests() {
      return [...log];
    },
    async intercept(request, response) {
      const method = request.method ?? 'GET';
      const url = request.url ?? '/';
      log.push({ method, url, headers: headersOf(request), at: new Date().toISOString() });
      const fault = take(method, new URL(url, 'http://double.invalid').pathname);
      if (!fault) return false;
      if (fault.delayMs) await sleep(fault.delayMs);
      if (fault.drop) {
        request.socket.destroy();
        return true;
      }
      const reply = fault.reply ?? (fault.delayMs ? null : GOGS_500);
      if (!reply) return false;
      response.writeHead(reply.status, reply.headers ?? {});
      response.end(reply.body ?? '');
      return true;
    },
  };
}
