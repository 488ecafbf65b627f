import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpServer } from '../../sidecar/http/index.ts';
import { fixtureBytes, fixtureJson } from '../support/gogs-fixtures.ts';
import { createHookTestApp, type ErrorAnswer, type HookTestApp } from '../support/hook-app.ts';
import { chunk, hookRequestHead, openRawConnection, type RawConnection } from './raw-http.ts';

const signedBody = fixtureBytes('push_signed.json');
const headers = fixtureJson<Record<string, string>>('push_signed.headers.json');
const CAP = 64 * 1024;

/**
 * The size and time limits of POST /hook, over a real socket where Content-Length, chunking and slow
 * clients are what they are on the wire. Deadlines are tiny here; what is asserted is the outcome.
 */
describe('POST /hook limits over a real socket', () => {
  let t: HookTestApp;
  let server: HttpServer;
  let connections: RawConnection[];
  const open = async (url: string) => {
    const connection = await openRawConnection(url);
    connections.push(connection);
    return connection;
  };
  beforeEach(async () => {
    connections = [];
    t = await createHookTestApp({ maxHookBodyBytes: CAP, hookBodyTimeoutMs: 500 });
    server = await t.listen({ headersTimeoutMs: 15_000, keepAliveTimeoutMs: 1_000 });
  });
  afterEach(async () => {
    for (const connection of connections) connection.socket.destroy();
    await t.dispose();
  });

  const deliver = (url: string, deliveryId: string) =>
    fetch(`${url}/hook`, {
      method: 'POST',
      body: signedBody,
      headers: { ...headers, 'X-Gogs-Delivery': deliveryId },
    });

  const enable = () => t.enableRepo({ gogsId: 6, fullName: 'maarten/webhook-test', secret: 'letmein' });

  it('a Content-Length over the cap is answered 413 before the body is sent, and the connection closed', async () => {
    const connection = await open(server.url);
    connection.write(hookRequestHead(headers, { 'Content-Length': 10 * CAP }));
    expect(await connection.status).toBe(413);
    expect(await connection.closed).toContain('"code":"PAYLOAD_TOO_LARGE"');
  });

  it('a chunked body over the cap: 413', async () => {
    const connection = await open(server.url);
    connection.write(hookRequestHead(headers, { 'Transfer-Encoding': 'chunked' }));
    for (let i = 0; i < 70; i++) connection.write(chunk(Buffer.alloc(1024, 0x20)));
    expect(await connection.status).toBe(413);
  });

  it('a Content-Length that lies: the declared bytes are the body, and more than the cap is refused anyway', async () => {
    await enable();
    // Fewer declared than sent: what follows the declared bytes is no request, and the connection ends.
    const short = await open(server.url);
    short.write(
      Buffer.concat([
        Buffer.from(hookRequestHead(headers, { 'Content-Length': 100 }, '/hook?repo=6')),
        signedBody,
      ]),
    );
    expect(await short.status).toBe(400);
    await short.closed;
    // More declared than sent: the body never completes, and its deadline ends it.
    const long = await open(server.url);
    long.write(
      Buffer.concat([Buffer.from(hookRequestHead(headers, { 'Content-Length': 4096 })), signedBody]),
    );
    expect(await long.status).toBe(408);
    // A runtime that does not hold the body to its Content-Length (as Node's parser does) is still capped.
    const lying = await t.app.request('/hook', {
      method: 'POST',
      body: Buffer.alloc(CAP + 1, 0x20),
      headers: { ...headers, 'Content-Length': '100' },
    });
    expect(lying.status).toBe(413);
    expect(await t.stores.deliveries.list({ limit: 10 })).toHaveLength(0);
  });

  it('a body trickled slower than its deadline is answered 408, while a delivery beside it gets 202', async () => {
    await enable();
    const announced = await open(server.url);
    announced.write(hookRequestHead(headers, { 'Content-Length': signedBody.byteLength }));
    announced.trickle(signedBody, 50);
    const chunked = await open(server.url);
    chunked.write(hookRequestHead(headers, { 'Transfer-Encoding': 'chunked' }));
    chunked.trickle(Buffer.concat([chunk(signedBody), Buffer.from('0\r\n\r\n')]), 50);

    const normal = await deliver(server.url, 'beside-the-slow-ones');
    expect(normal.status).toBe(202);
    expect(await announced.status).toBe(408);
    expect(await chunked.status).toBe(408);
    const answer = (await announced.closed).split('\r\n\r\n')[1]!;
    expect((JSON.parse(answer) as ErrorAnswer).error.code).toBe('REQUEST_TIMEOUT');
    await chunked.closed;
    expect((await t.stores.deliveries.list({ limit: 10 })).map((d) => d.deliveryId)).toEqual([
      'beside-the-slow-ones',
    ]);
  });

  it('headers trickled slower than their deadline are answered 408, while a delivery beside it gets 202', async () => {
    await enable();
    const strict = await t.listen({ headersTimeoutMs: 1_000, keepAliveTimeoutMs: 1_000 });
    const slow = await open(strict.url);
    slow.trickle(hookRequestHead(headers, { 'Content-Length': signedBody.byteLength }), 50);
    expect((await deliver(strict.url, 'beside-slow-headers')).status).toBe(202);
    expect(await slow.status).toBe(408);
    await slow.closed;
  });

  it('an idle keep-alive connection is closed after the configured time, which the answer announces', async () => {
    await enable();
    const connection = await open(server.url);
    connection.write(
      Buffer.concat([
        Buffer.from(hookRequestHead(headers, { 'Content-Length': signedBody.byteLength })),
        signedBody,
      ]),
    );
    expect(await connection.status).toBe(202);
    const everything = await connection.closed;
    expect(everything).toMatch(/\r\nKeep-Alive: timeout=1\r\n/);
    expect(everything.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});
