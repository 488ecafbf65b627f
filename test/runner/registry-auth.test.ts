import { describe, expect, it } from 'vitest';
import { registryAuthFor, registryOf, repositoryOf } from '../../sidecar/runner/registry-auth.ts';

function config(auths: Record<string, object>): string {
  return JSON.stringify({ auths });
}

const basic = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');

describe('registry credentials from image_pull_secrets', () => {
  it('finds the registry of an image reference', () => {
    expect(registryOf('docker.io/library/golang:1.22')).toBe('docker.io');
    expect(registryOf('index.docker.io/org/x:1')).toBe('docker.io');
    expect(registryOf('registry.example.com:5000/team/app:latest')).toBe('registry.example.com:5000');
    expect(registryOf('localhost/app')).toBe('localhost');
    expect(registryOf('org/app')).toBe('docker.io');
  });

  it('names the repository of a reference without its tag or digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(repositoryOf('docker.io/library/golang:1.22')).toBe('docker.io/library/golang');
    expect(repositoryOf(`golang@${digest}`)).toBe('docker.io/library/golang');
    expect(repositoryOf('index.docker.io/org/x:1')).toBe('docker.io/org/x');
    expect(repositoryOf(`registry.example.com:5000/team/app:latest@${digest}`)).toBe(
      'registry.example.com:5000/team/app',
    );
    expect(repositoryOf('localhost:5000/app')).toBe('localhost:5000/app');
  });

  it('picks the first entry whose host is the image registry, in secret order', () => {
    const configs = [
      'not json',
      config({ 'https://index.docker.io/v1/': { auth: basic('hub-user', 'hub:pass') } }),
      config({ 'registry.example.com:5000': { username: 'own', password: 'pw' } }),
      config({ 'docker.io': { auth: basic('second', 'x') } }),
    ];
    expect(registryAuthFor('docker.io/library/golang:1.22', configs)).toEqual({
      username: 'hub-user',
      password: 'hub:pass',
      serveraddress: 'https://index.docker.io/v1/',
    });
    expect(registryAuthFor('registry.example.com:5000/team/app:latest', configs)).toEqual({
      username: 'own',
      password: 'pw',
      serveraddress: 'registry.example.com:5000',
    });
    expect(registryAuthFor('quay.io/org/app:1', configs)).toBeNull();
  });
});
