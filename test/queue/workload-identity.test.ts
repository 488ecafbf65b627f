/**
 * Workload identity tokens in a build: a step that asks for one (`id_tokens:`) finds a JWT in its environment,
 * read from the engine, that verifies against the keys the sidecar publishes with the build's claims, and is
 * masked in the step's log. The sidecar beside the Gogs test double, with a real engine.
 */
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Build, Repo, WorkloadClaims } from '../../sidecar/core/index.ts';
import { stageWorkloadTokens, workloadClaimsOf } from '../../sidecar/queue/workload-token.ts';
import { createTestDocker } from '../support/docker.ts';
import { environmentOf, HOLD_COMMAND, heldContainer, release } from '../support/held-step.ts';
import { BUSYBOX_IMAGE, ensureBusyboxImage } from '../support/images.ts';
import { type SidecarBesideGogs, startSidecarBesideGogs } from '../support/sidecar-beside-gogs.ts';
import { storedBuilds } from '../support/stored-builds.ts';

const PIPELINE = `kind: pipeline
type: docker
name: deploy

steps:
- name: look
  image: ${BUSYBOX_IMAGE}
  pull: never
  id_tokens:
    CLOUD_TOKEN:
      aud: sts.amazonaws.com
  commands:
  - echo "token=$CLOUD_TOKEN"
  - ${HOLD_COMMAND}
`;

describe('workload identity tokens of a build', () => {
  let t: SidecarBesideGogs;
  const builds = storedBuilds(() => t);
  beforeAll(() => ensureBusyboxImage());
  afterEach(() => t.dispose());

  it('gives the step a signed token for its audience, with the build in its claims, masked in the log', async () => {
    t = await startSidecarBesideGogs();
    await t.cli('repo', 'enable', 'alice/app');
    const push = await t.push('master', { '.drone.yml': PIPELINE }, 'deploy');
    await t.settled(push.deliveries[0]?.id ?? '');
    const claimed = await builds.until(1, (found) => Boolean(found.stages[0]?.claimedBy));
    const container = await heldContainer(createTestDocker(), [
      `io.drone-gogs.instance=${claimed.stages[0]?.claimedBy}`,
      'io.drone-gogs.step=look',
    ]);
    const token = (await environmentOf(container)).get('CLOUD_TOKEN') ?? '';
    await release(container);
    const done = await builds.finished(1);
    expect(done.build.status).toBe('success');

    const keys = createRemoteJWKSet(new URL(`${t.sidecar.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(token, keys, {
      issuer: t.sidecar.services.workloadTokens.issuer,
      audience: 'sts.amazonaws.com',
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload).toMatchObject({
      sub: 'repo:alice/app:ref:refs/heads/master',
      repository: 'alice/app',
      repository_owner: 'alice',
      ref: 'refs/heads/master',
      ref_type: 'branch',
      event: 'push',
      sha: push.sha,
      build_number: 1,
      pipeline: 'deploy',
      step: 'look',
      trigger_user: '@hook',
      trusted: false,
    });
    await expect(jwtVerify(token, keys, { audience: 'vault' })).rejects.toThrow();

    const step = done.stages[0]?.steps.find((each) => each.name === 'look');
    const log = (await t.sidecar.services.stores.logs.read(step?.id ?? 0))
      .map((line) => line.text)
      .join('\n');
    expect(log).toContain('token=******');
    expect(log).not.toContain(token);
  });

  it("issues none to a pull request from a fork, and the build's claims to the repository's own", async () => {
    const fork = {
      number: 3,
      parent: 0,
      origin: {
        event: 'pull_request',
        ref: 'refs/pull/4/head',
        after: 'a'.repeat(40),
        sender: 'mallory',
        pullRequest: 4,
        fork: 'mallory/app',
      },
    } as Build;
    const repo = { fullName: 'alice/app', trusted: true } as Repo;
    const issued: WorkloadClaims[] = [];
    const issuer = {
      issue: async (claims: WorkloadClaims) => {
        issued.push(claims);
        return { token: 'signed', expiresAt: 0 };
      },
    };
    const tokens = stageWorkloadTokens(issuer, fork, repo, 'deploy');
    await expect(tokens({ step: 'look', audience: 'sts.amazonaws.com' })).rejects.toThrow(/forks/);
    expect(issued).toEqual([]);

    const own = { ...fork, origin: { ...fork.origin, fork: '' } } as Build;
    expect(await stageWorkloadTokens(issuer, own, repo, 'deploy')({ step: 'look', audience: 'x' })).toBe(
      'signed',
    );
    expect(issued).toEqual([workloadClaimsOf(own, repo, 'deploy', 'look')]);
    expect(issued[0]).toMatchObject({ refType: 'pull_request', pullRequest: 4, triggerUser: '@hook' });
  });
});
