/** The skip rules on Gogs' recorded payloads (../shared/examples/gogs), normalised as the trigger sees them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Delivery, HookEvent, Repo } from '../../sidecar/core/index.ts';
import { normalizeGogsHook } from '../../sidecar/gogs/index.ts';
import { createLogger } from '../../sidecar/telemetry/index.ts';
import {
  type DeliveryProcessorDeps,
  firstSkip,
  processDelivery,
  SKIP_RULES,
} from '../../sidecar/trigger/index.ts';
import { repoRoot } from '../pipeline/support.ts';
import { openTestStores, repoFacts, testDelivery } from '../support/stores.ts';

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
      'ignore-pull-requests',
      'ignore-forks',
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

  /** Gogs' pull request as a fork sends it: the head repository is another one. */
  const toFork = (payload: Record<string, unknown>) => {
    const pull = payload.pull_request as { head_repo: Record<string, unknown> };
    pull.head_repo = { ...pull.head_repo, full_name: 'mallory/hello-world' };
  };
  const fromFork = () => recorded('pull_request', 'pull_request_opened.json', toFork);

  it("skips a fork's pull request when the repository ignores forks, and only then", () => {
    const fork = fromFork();
    expect(fork.pullRequest?.fromFork).toBe(true);
    expect(skipOf(fork)).toBeNull();
    expect(skipOf(fork, { ignoreForks: true })).toEqual({
      rule: 'ignore-forks',
      reason:
        'gogs/hello builds no pull requests from forks; `drone-gogs repo set gogs/hello --ignore-forks=false`',
    });
    // The repository's own pull requests, pushes and tags are built.
    expect(skipOf(recorded('pull_request', 'pull_request_opened.json'), { ignoreForks: true })).toBeNull();
    expect(skipOf(recorded('push', 'push.json'), { ignoreForks: true })).toBeNull();
    expect(skipOf(recorded('create', 'create_tag.json'), { ignoreForks: true })).toBeNull();
  });

  it('skips every pull request when the repository ignores pull requests, and nothing else', () => {
    const own = recorded('pull_request', 'pull_request_synchronized.json');
    expect(skipOf(own, { ignorePullRequests: true })).toEqual({
      rule: 'ignore-pull-requests',
      reason:
        'gogs/hello builds no pull requests; `drone-gogs repo set gogs/hello --ignore-pull-requests=false`',
    });
    expect(skipOf(fromFork(), { ignorePullRequests: true, ignoreForks: true })?.rule).toBe(
      'ignore-pull-requests',
    );
    expect(skipOf(recorded('push', 'push.json'), { ignorePullRequests: true })).toBeNull();
    expect(skipOf(recorded('create', 'create_tag.json'), { ignorePullRequests: true })).toBeNull();
  });

  it('names the rule on the delivery and in the log', async () => {
    const stores = await openTestStores();
    try {
      const stored = await stores.repos.upsertFacts(repoFacts('gogs/hello', 1));
      await stores.repos.update(stored.id, { active: true, ignoreForks: true });
      const payload = JSON.parse(readFileSync(join(examples, 'pull_request_opened.json'), 'utf8'));
      toFork(payload);
      await stores.deliveries.record({
        ...testDelivery('fork-1', stored.id),
        event: 'pull_request',
        body: JSON.stringify(payload),
      });
      const delivery = await stores.deliveries.findByDeliveryId('fork-1');
      const lines: string[] = [];
      const logger = createLogger({ format: 'text', level: 'info', write: (line) => lines.push(line) });
      // Skipping needs nothing beyond the stored repository: what it would call next is not given.
      const outcome = await processDelivery(
        delivery as Delivery,
        {
          repos: stores.repos,
          logger,
        } as DeliveryProcessorDeps,
      );
      expect(outcome).toEqual({
        status: 'ignored',
        reason: expect.stringMatching(/^ignore-forks: gogs\/hello builds no pull requests from forks/),
      });
      expect(lines.join('\n')).toMatch(/trigger: no build: ignore-forks/);
    } finally {
      await stores.dispose();
    }
  });
});
