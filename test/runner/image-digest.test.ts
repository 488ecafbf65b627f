/** Which name of an image a step's provenance records (no Docker: the engine's inspect output as data). */
import { describe, expect, it } from 'vitest';
import { imageDigest } from '../../sidecar/runner/image-access.ts';

const id = `sha256:${'1'.repeat(64)}`;
const a = `sha256:${'a'.repeat(64)}`;
const b = `sha256:${'b'.repeat(64)}`;

describe('the image a step ran, for its provenance', () => {
  it("is the registry digest of the step image's own repository", () => {
    const cached = {
      id,
      repoDigests: [`registry.example.com/team/other@${a}`, `registry.example.com:5000/team/tool@${b}`],
    };
    expect(imageDigest(cached, 'registry.example.com:5000/team/tool:1.2')).toBe(
      `registry.example.com:5000/team/tool@${b}`,
    );
    // Docker Hub's short names are the same repository as their long ones.
    expect(imageDigest({ id, repoDigests: [`golang@${a}`] }, 'docker.io/library/golang:1.22')).toBe(
      `golang@${a}`,
    );
  });

  it('is the digest the step names when the repository has several', () => {
    const cached = { id, repoDigests: [`golang@${a}`, `golang@${b}`] };
    expect(imageDigest(cached, `golang@${b}`)).toBe(`golang@${b}`);
    expect(imageDigest(cached, 'golang:1.22')).toBe(`golang@${a}`);
  });

  it('is the image id for an image built or imported on the host, or known only under another repository', () => {
    expect(imageDigest({ id, repoDigests: [] }, 'drone-gogs-test/busybox')).toBe(id);
    expect(imageDigest({ id, repoDigests: [`registry.example.com/team/other@${a}`] }, 'team/tool:1')).toBe(
      id,
    );
  });
});
