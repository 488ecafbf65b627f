/** Which secrets a build gets, as a table: every event, the repository over its organisation, forks never. */
import { describe, expect, it } from 'vitest';
import type { BuildEvent } from '../../sidecar/core/index.ts';
import { type ExposureCandidate, exposeSecrets } from '../../sidecar/secrets/index.ts';

const secret = (level: 'repo' | 'org', name: string, pullRequest = false): ExposureCandidate => ({
  level,
  name,
  pullRequest,
});

const SECRETS: ExposureCandidate[] = [
  secret('org', 'ORG_ONLY'),
  secret('org', 'org_pr', true),
  secret('org', 'SHARED', true),
  secret('repo', 'deploy_key'),
  secret('repo', 'REPO_PR', true),
  // Overrides the organisation's SHARED, and does not allow pull requests although the organisation's does.
  secret('repo', 'shared'),
];

const exposed = (event: BuildEvent, fork = '') =>
  exposeSecrets(SECRETS, { event, fork }).exposed.map((each) => `${each.level}:${each.name}`);

describe('secret exposure', () => {
  it('gives pushes, tags, crons, custom builds and promotions every secret, the repository over the organisation', () => {
    for (const event of ['push', 'tag', 'cron', 'custom', 'promote', 'rollback'] as const) {
      expect({ event, names: exposed(event).sort() }).toEqual({
        event,
        names: ['org:ORG_ONLY', 'org:org_pr', 'repo:REPO_PR', 'repo:deploy_key', 'repo:shared'],
      });
    }
  });

  it("gives a pull request from the repository itself only the secrets that allow it, never an overridden one's", () => {
    const { exposed: names, withheld } = exposeSecrets(SECRETS, { event: 'pull_request', fork: '' });
    expect(names.map((each) => `${each.level}:${each.name}`).sort()).toEqual(['org:org_pr', 'repo:REPO_PR']);
    // The repository's `shared` does not allow pull requests: the organisation's SHARED does not stand in for it.
    expect(withheld.map((each) => [each.secret.name, each.rule, each.reason]).sort()).toEqual([
      ['ORG_ONLY', 'pull-request-not-allowed', 'not exposed to pull requests'],
      ['deploy_key', 'pull-request-not-allowed', 'not exposed to pull requests'],
      ['shared', 'pull-request-not-allowed', 'not exposed to pull requests'],
    ]);
  });

  it('gives a pull request from a fork nothing, whatever the secrets allow', () => {
    const { exposed: names, withheld } = exposeSecrets(SECRETS, {
      event: 'pull_request',
      fork: 'mallory/app',
    });
    expect(names).toEqual([]);
    expect(withheld).toHaveLength(5);
    expect(new Set(withheld.map((each) => each.rule))).toEqual(new Set(['fork-pull-request']));
  });

  it('matches names without regard to case and keeps one secret per name, whatever the order', () => {
    const reversed = [...SECRETS].reverse();
    const names = exposeSecrets(reversed, { event: 'push', fork: '' }).exposed.map((each) => each.name);
    expect(names.map((name) => name.toLowerCase()).sort()).toEqual([
      'deploy_key',
      'org_only',
      'org_pr',
      'repo_pr',
      'shared',
    ]);
    expect(exposeSecrets(reversed, { event: 'push', fork: '' }).exposed).toContainEqual(
      secret('repo', 'shared'),
    );
  });
});
