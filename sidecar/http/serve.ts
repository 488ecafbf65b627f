import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Running } from '../core/index.ts';

/** `stop()` stops accepting connections and waits for open requests to finish. */
export interface HttpServer extends Running {
  url: string;
}

/**
 * Limits of every connection. Bodies have deadlines per route (a /hook body is short, a log upload or an
 * event stream is not), so the server itself bounds only the headers and idle keep-alive connections.
 */
export interface ServerLimits {
  /** The request line and headers must have arrived this long after the connection or the last request. */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
}

/** Serves the app on host:port (port 0 picks a free one). */
export function serveHttp(
  app: Hono,
  listen: { host: string; port: number },
  limits: ServerLimits,
): Promise<HttpServer> {
  return new Promise((resolve, reject) => {
    const server = serve(
      {
        fetch: app.fetch,
        hostname: listen.host,
        port: listen.port,
        serverOptions: {
          headersTimeout: limits.headersTimeoutMs,
          keepAliveTimeout: limits.keepAliveTimeoutMs,
          // Node checks the headers deadline on this period (30 s by default): keep it a fraction of it.
          connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
        },
      },
      () => {
        const address = server.address() as AddressInfo;
        const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({
          url: `http://${host}:${address.port}`,
          stop: () => new Promise<void>((done) => server.close(() => done())),
        });
      },
    );
    server.once('error', reject);
  });
}
