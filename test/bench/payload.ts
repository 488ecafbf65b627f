import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * A real Gogs push payload (push_signed.json) grown to about `size` bytes with more commits, serialised as
 * Gogs does (two-space indent, no trailing newline).
 */
export function benchPayload(size: number): { body: Buffer; gogsId: number } {
  const fixture = resolve(import.meta.dirname, '../../../shared/examples/gogs/push_signed.json');
  const push = JSON.parse(readFileSync(fixture, 'utf8'));
  const commit = push.commits[0];
  let body = '';
  for (let i = 1; ; i++) {
    push.commits = Array.from({ length: i }, () => commit);
    body = JSON.stringify(push, null, 2);
    if (body.length >= size) break;
  }
  return { body: Buffer.from(body.slice(0, body.length)), gogsId: push.repository.id };
}
