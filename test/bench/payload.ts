import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The repository and commits a payload names instead of the fixture's (the busy sidecar's real ones). */
export interface PayloadTarget {
  gogsId: number;
  fullName: string;
  before: string;
  after: string;
}

/**
 * A real Gogs push payload (push_signed.json) grown to about `size` bytes with more commits, serialised as
 * Gogs does (two-space indent, no trailing newline); with `target`, naming that repository and those commits.
 */
export function benchPayload(size: number, target?: PayloadTarget): { body: Buffer; gogsId: number } {
  const fixture = resolve(import.meta.dirname, '../../../shared/examples/gogs/push_signed.json');
  const push = JSON.parse(readFileSync(fixture, 'utf8'));
  if (target !== undefined) {
    const [owner = '', name = ''] = target.fullName.split('/');
    Object.assign(push, { before: target.before, after: target.after });
    Object.assign(push.repository, { id: target.gogsId, name, full_name: target.fullName });
    push.repository.owner.username = owner;
    push.commits[0].id = target.after;
  }
  const commit = push.commits[0];
  let body = '';
  for (let i = 1; ; i++) {
    push.commits = Array.from({ length: i }, () => commit);
    body = JSON.stringify(push, null, 2);
    if (body.length >= size) break;
  }
  return { body: Buffer.from(body.slice(0, body.length)), gogsId: push.repository.id };
}
