import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from '../../sidecar/core/index.ts';
import { createDockerRunner } from '../../sidecar/runner/index.ts';
import { MemoryLogs, MemoryStatuses, stageFrom } from './stage-harness.ts';

const SECRET = 'rec0very-s3cr3t-value';

/**
 * An engine test double on loopback, named as one: it lists one step container of the stage and answers every
 * other call with a 500 whose message quotes the secret, as Docker's messages quote what they were given.
 */
let engine: Server;
let docker: Docker;
beforeAll(async () => {
  engine = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://engine').pathname;
    response.setHeader('Content-Type', 'application/json');
    if (path.endsWith('/containers/json')) {
      response.end(JSON.stringify([{ Id: 'c1', Labels: { 'io.drone-gogs.step': 'first' } }]));
    } else if (path.endsWith('/networks')) {
      response.end('[]');
    } else if (path.endsWith('/volumes')) {
      response.end('{"Volumes":[]}');
    } else {
      response.statusCode = 500;
      response.end(JSON.stringify({ message: `engine failure near TOKEN=${SECRET}` }));
    }
  });
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  docker = new Docker({ host: '127.0.0.1', port: (engine.address() as AddressInfo).port, protocol: 'http' });
});
afterAll(() => new Promise<void>((resolve) => engine.close(() => resolve())));

describe('docker runner: recovery errors', () => {
  it('masks secrets in the errors and log lines of a recovered stage that the engine quotes', async () => {
    const logged: string[] = [];
    const record = (message: string, fields?: Record<string, unknown>) =>
      logged.push(`${message} ${JSON.stringify(fields ?? {})}`);
    const logger: Logger = { debug: record, info: record, warn: record, error: record };
    const statuses = new MemoryStatuses();
    const result = await createDockerRunner({ docker, logger }).recoverStage({
      ids: { instance: 'dead-instance', repo: 'octo/hello', build: '1', stage: '1' },
      stage: stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: first
    image: busybox
    commands: [echo hi]
`),
      secrets: { token: SECRET },
      logs: new MemoryLogs(),
      statuses,
      mode: 'follow',
    });
    const step = result.steps.find((state) => state.name === 'first');
    // The engine's words reached the step's error, with the secret masked.
    expect(step?.error).toMatch(/^cannot re-attach to the step: .*engine failure near TOKEN=\*{6}/);
    const everything = JSON.stringify({ result, statuses: statuses.history, logged });
    expect(everything).toContain('engine failure near TOKEN=');
    expect(everything).not.toContain(SECRET.slice(0, 8));
  });
});
