/**
 * Webhook delivery of the Gogs TEST DOUBLE, as Gogs' HookTask.deliver does it: one worker delivers tasks one at
 * a time, a POST with Gogs' headers, a time-out per delivery, no retries, redirects refused (Gogs 0.14.3+),
 * any 2xx a success. Every attempt is recorded for tests; `redeliver` resends a task with the same UUID and body.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { goQueryEscape } from './go-json.ts';
import { BLOCKED_LOCAL_ADDRESS_MESSAGE, isBlockedLocalHostname } from './local-network.ts';
import type { HookEventName } from './model.ts';

/** What Gogs stores per hook and event before delivering (a `hook_task` row). */
export interface HookTask {
  uuid: string;
  hookId: number;
  repo: string;
  event: HookEventName;
  url: string;
  contentType: 'json' | 'form';
  /** Lowercase hex HMAC-SHA256 of `payload` with the hook secret; '' when the hook has no secret. */
  signature: string;
  /** The MarshalIndent JSON; the body for json hooks, the `payload` field for form hooks. */
  payload: string;
}

export interface DeliveryRecord {
  /** The X-Gogs-Delivery UUID; a redelivery repeats it. */
  id: string;
  hookId: number;
  repo: string;
  event: HookEventName;
  url: string;
  redelivery: boolean;
  /** The JSON payload (the same for json and form hooks). */
  payload: string;
  request: { headers: Record<string, string>; body: string };
  response: { status: number; headers: Record<string, string>; body: string } | null;
  /** Why the delivery failed before a usable response, as Gogs would record it; null otherwise. */
  error: string | null;
  succeeded: boolean;
  startedAt: string;
  durationMs: number;
}

export interface DeliveryOptions {
  /** `[webhook] DELIVER_TIMEOUT`, in milliseconds (Gogs' default is 15 s). */
  timeoutMs: number;
  /** `[security] LOCAL_NETWORK_ALLOWLIST`; `['*']` allows every host. */
  localNetworkAllowlist: readonly string[];
}

export interface DeliveryQueue {
  /** Queues the tasks behind any earlier ones; resolves with their records once all of them were attempted. */
  enqueue(tasks: readonly HookTask[]): Promise<DeliveryRecord[]>;
  redeliver(deliveryId: string): Promise<DeliveryRecord>;
  records(): DeliveryRecord[];
  /** Resolves when nothing is queued or being delivered. */
  idle(): Promise<void>;
}

export function signPayload(payload: string, secret: string): string {
  return secret === '' ? '' : createHmac('sha256', secret).update(payload, 'utf8').digest('hex');
}

export function createHookTask(input: {
  hook: { id: number; url: string; contentType: 'json' | 'form'; secret: string };
  repo: string;
  event: HookEventName;
  payload: string;
}): HookTask {
  return {
    uuid: randomUUID(),
    hookId: input.hook.id,
    repo: input.repo,
    event: input.event,
    url: input.hook.url,
    contentType: input.hook.contentType,
    signature: signPayload(input.payload, input.hook.secret),
    payload: input.payload,
  };
}

function requestOf(task: HookTask): { headers: Record<string, string>; body: string } {
  const body = task.contentType === 'json' ? task.payload : `payload=${goQueryEscape(task.payload)}`;
  return {
    headers: {
      'User-Agent': 'GogsServer',
      'Content-Type': task.contentType === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
      'X-Github-Delivery': task.uuid,
      'X-Github-Event': task.event,
      'X-Gogs-Delivery': task.uuid,
      'X-Gogs-Signature': task.signature,
      'X-Gogs-Event': task.event,
      'Content-Length': String(Buffer.byteLength(body)),
      'Accept-Encoding': 'gzip',
    },
    body,
  };
}

function headersOf(response: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return headers;
}

interface Attempt {
  response: DeliveryRecord['response'];
  error: string | null;
}

function post(url: URL, sent: { headers: Record<string, string>; body: string }, timeoutMs: number) {
  return new Promise<Attempt>((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    // No shared agent: a kept-alive socket would hold the receiver's server open after a test.
    const outgoing = send(url, { method: 'POST', headers: sent.headers, agent: false });
    const timer = setTimeout(() => {
      outgoing.destroy(new Error(`Post "${url.href}": context deadline exceeded (Client.Timeout exceeded)`));
    }, timeoutMs);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        clearTimeout(timer);
        const status = response.statusCode ?? 0;
        resolve({
          response: { status, headers: headersOf(response), body: Buffer.concat(chunks).toString('utf8') },
          error:
            status >= 300 && status < 400
              ? `Delivery: Post "${url.href}": webhook redirects are not followed`
              : null,
        });
      });
      response.on('error', (error) => {
        clearTimeout(timer);
        resolve({ response: null, error: `read body: ${error.message}` });
      });
    });
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      resolve({ response: null, error: `Delivery: ${error.message}` });
    });
    outgoing.end(sent.body);
  });
}

export function createDeliveryQueue(options: DeliveryOptions): DeliveryQueue {
  const records: DeliveryRecord[] = [];
  const tasks = new Map<string, HookTask>();
  let tail: Promise<unknown> = Promise.resolve();

  async function deliver(task: HookTask, redelivery: boolean): Promise<DeliveryRecord> {
    const started = Date.now();
    const sent = requestOf(task);
    const record: DeliveryRecord = {
      id: task.uuid,
      hookId: task.hookId,
      repo: task.repo,
      event: task.event,
      url: task.url,
      redelivery,
      payload: task.payload,
      request: sent,
      response: null,
      error: null,
      succeeded: false,
      startedAt: new Date(started).toISOString(),
      durationMs: 0,
    };
    let url: URL | null = null;
    try {
      url = new URL(task.url);
    } catch (error) {
      record.error = `Cannot parse payload URL: ${(error as Error).message}`;
    }
    if (url) {
      const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (await isBlockedLocalHostname(hostname, options.localNetworkAllowlist)) {
        record.error = BLOCKED_LOCAL_ADDRESS_MESSAGE;
      } else {
        const attempt = await post(url, sent, options.timeoutMs);
        record.response = attempt.response;
        record.error = attempt.error;
        const status = attempt.response?.status ?? 0;
        record.succeeded = attempt.error === null && status >= 200 && status < 300;
      }
    }
    record.durationMs = Date.now() - started;
    records.push(record);
    return record;
  }

  function schedule(task: HookTask, redelivery: boolean): Promise<DeliveryRecord> {
    const run = tail.then(() => deliver(task, redelivery));
    tail = run.catch(() => undefined);
    return run;
  }

  return {
    enqueue(queued) {
      for (const task of queued) tasks.set(task.uuid, task);
      return Promise.all(queued.map((task) => schedule(task, false)));
    },
    redeliver(deliveryId) {
      const task = tasks.get(deliveryId);
      if (!task) return Promise.reject(new Error(`gogs double: no delivery ${deliveryId}`));
      return schedule(task, true);
    },
    records() {
      return [...records];
    },
    async idle() {
      let seen: Promise<unknown> | undefined;
      while (seen !== tail) {
        seen = tail;
        await tail;
      }
    },
  };
}
