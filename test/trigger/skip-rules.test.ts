/** The skip rules on Gogs' recorded payloads (../shared/examples/gogs), normalised as the trigger sees them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { HookEvent, Repo } from '../../sidecar/core/index.ts';
import { normalizeGogsHook } from '../../sidecar/gogs/index.ts';
import { firstSkip, SKIP_RULES } from '../../sidecar/trigger/index.ts';
import { repoRoot } from '../pipeline/support.ts';

const examples = join(repoRoot, '../shared/examples/gogs');

function recorded(
  eventName: string,
  file: string,
  change: (payload: Record<string, unknown>) => void = () => {},
): HookEvent {
  const payload = JSON.parse(readFileSync(join(examples, file), 'utf8')) as Record<string, unknown>;
  change(payload);
  const result = normalizeGogsHook(eventName, payload);
  if (result.outcome !== 'event') throw new Error(`${file}: ${JSON.stringify(result)}`);
  return result.event;
}

const repo = { fullName: 'gogs/hello', active: true } as Repo;
const skipOf = (event: HookEvent, facts: Partial<Repo> = {}) =>
  firstSkip({ event, repo: { ...repo, ...facts } });

describe('skip rules', () => {
  it('builds a plain push, a tag and an opened or synchronized pull request', () => {
    expect(skipOf(recorded('push', 'push.json'))).toBeNull();
    expect(skipOf(recorded('create', 'create_tag.json'))).toBeNull();
    expect(skipOf(recorded('pull_request', 'pull_request_opened.json'))).toBeNull();
    expect(skipOf(recorded('pull_request', 'pull_request_synchronized.json'))).toBeNull();
  });

  it('names the rule that skips, in table order', () => {
    expect(skipOf(recorded('push', 'push.json'), { active: false })?.rule).toBe('repository-inactive');
    expect(skipOf(recorded('create', 'create_branch.json'))?.rule).toBe('not-a-build-event');
    expect(skipOf(recorded('delete', 'delete_branch.json'))?.rule).toBe('not-a-build-event');
    expect(skipOf(recorded('delete', 'delete_tag.json'))?.rule).toBe('ref-deleted');
    expect(skipOf(recorded('pull_request', 'pull_request_closed.json'))?.rule).toBe('pull-request-closed');
    expect(skipOf(recorded('pull_request', 'pull_request_edited.json'))?.rule).toBe('pull-request-unchanged');
    const deleted = recorded('push', 'push.json', (payload) => {
      payload.after = '0'.repeat(40);
    });
    expect(skipOf(deleted)?.rule).toBe('ref-deleted');
    expect(SKIP_RULES.map((rule) => rule.name)).toEqual([
      'repository-inactive',
      'not-a-build-event',
      'ref-deleted',
      'pull-request-closed',
      'pull-request-unchanged',
      'skip-marker',
    ]);
  });

  it('skips on [skip ci], [ci skip] and ***NO_CI*** in the newest commit or the title, in any case, but not for tags', () => {
    for (const marker of ['[skip ci]', '[CI SKIP]', '***no_ci***']) {
      const push = recorded('push', 'push.json', (payload) => {
        const [newest] = payload.commits as { message: string }[];
        if (newest) newest.message = `fix the thing ${marker}\n\nmore`;
      });
      expect(skipOf(push)).toEqual({
        rule: 'skip-marker',
        reason: `the commit message says ${marker.toLowerCase()}`,
      });
    }
    const pull = recorded('pull_request', 'pull_request_opened.json', (payload) => {
      (payload.pull_request as { title: string }).title = 'WIP [skip ci]';
    });
    expect(skipOf(pull)?.reason).toBe('the title says [skip ci]');
    const tag = recorded('create', 'create_tag.json');
    expect(
      skipOf({
        ...tag,
        commits: [
          {
            ...(recorded('push', 'push.json').commits[0] as HookEvent['commits'][number]),
            message: '[skip ci]',
          },
        ],
      }),
    ).toBeNull();
  });
});
