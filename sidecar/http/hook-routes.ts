import { Hono } from 'hono';
import type { Inbox } from '../webhooks/index.ts';
import { errorResponse } from './error-responses.ts';
import { type BodyLimits, readBodyCapped } from './read-body.ts';

/**
 * POST /hook: Gogs' deliveries. Answers as soon as the delivery is durable; nothing else happens inside the
 * request (Gogs has one serial delivery worker with a 15 s timeout and never retries). The body has a deadline
 * of its own, so that a client trickling it cannot hold a connection for long; other routes set their own.
 */
export function hookRoutes(deps: { inbox: Inbox; body: BodyLimits }) {
  return new Hono()
    .get('/', (c) => c.json({ service: 'drone-gogs', hook: 'ready' }))
    .post('/', async (c) => {
      const body = await readBodyCapped(c.req.raw, deps.body);
      const result = await deps.inbox.receive({
        event: c.req.header('x-gogs-event'),
        deliveryId: c.req.header('x-gogs-delivery'),
        signature: c.req.header('x-gogs-signature'),
        contentType: c.req.header('content-type'),
        userAgent: c.req.header('user-agent'),
        body,
        repoHint: c.req.query('repo'),
      });
      switch (result.outcome) {
        case 'accepted':
          return c.json({ delivery: result.deliveryId, status: 'queued' }, 202);
        case 'duplicate':
          return c.json({ delivery: result.deliveryId, status: 'duplicate' }, 200);
        case 'ignored':
          return c.json({ delivery: result.deliveryId, status: 'ignored', reason: result.reason }, 200);
        case 'rejected':
          return errorResponse(
            c,
            result.code,
            result.message,
            result.problems ? { problems: result.problems } : {},
          );
      }
    });
}
