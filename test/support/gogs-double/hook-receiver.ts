/**
 * A webhook receiver for tests of the Gogs TEST DOUBLE: records every request exactly as it arrived (raw body
 * bytes, headers) and answers as told, so tests can see what Gogs would have sent and how it treats answers.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ReceivedHook {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  receivedAt: number;
}

export interface HookReceiverBehaviour {
  status?: number;
  delayMs?: number;
  /** Answer 302 to this location instead. */
  redirectTo?: string;
  body?: string;
}

export interface HookReceiver {
  /** `http://127.0.0.1:<port>/hook`. */
  readonly url: string;
  readonly received: ReceivedHook[];
  /** Changes how later requests are answered. */
  behave(behaviour: HookReceiverBehaviour): void;
  close(): Promise<void>;
}

export async function startHookReceiver(behaviour: HookReceiverBehaviour = {}): Promise<HookReceiver> {
  let current = behaviour;
  const received: ReceivedHook[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
        receivedAt: Date.now(),
      });
      const answer = current;
      if (answer.delayMs) await sleep(answer.delayMs);
      if (response.destroyed) return;
      if (answer.redirectTo) {
        response.writeHead(302, { Location: answer.redirectTo }).end();
        return;
      }
      response
        .writeHead(answer.status ?? 202, { 'Content-Type': 'text/plain' })
        .end(answer.body ?? 'accepted');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    behave(next) {
      current = next;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
