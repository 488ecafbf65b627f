import { describe, expect, it } from 'vitest';
import { runDockerStage } from '../../sidecar/runner/docker-runner.ts';
import { DEFAULT_RUNNER_OPTIONS } from '../../sidecar/runner/index.ts';
import {
  createHarness,
  dockerTestFile,
  IMAGE,
  MemoryLogs,
  MemoryStatuses,
  outcomes,
  quietLogger,
  stageFrom,
} from './stage-harness.ts';

const { docker, instance } = dockerTestFile('logs');

describe('docker runner: step logs', () => {
  it('injects referenced secrets and masks every secret value, line by line, in every step', async () => {
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: use
    image: ${IMAGE}
    environment:
      TOKEN: { from_secret: Api_Token }
      KEY: { from_secret: deploy_key }
    commands:
      - echo "token is $TOKEN"
      - printf '%s\\n' "$KEY"
      - echo $KEY
      - test "$TOKEN" = "s3cr3t-value" && echo injected
  - name: leak
    image: ${IMAGE}
    commands:
      - echo "guessed s3cr3t-value and -----BEGIN KEY-----"
`);
    const { result, logs } = await createHarness(instance).run(stage, {
      secrets: {
        api_token: 's3cr3t-value',
        deploy_key: '-----BEGIN KEY-----\nMIIsecretbody\n-----END KEY-----',
        x: 'a',
      },
    });
    expect(outcomes(result)).toEqual({ use: 'success', leak: 'success' });
    const use = logs.text('use');
    expect(use).toContain('token is ******');
    // Printed whole, a multi-line secret is one mask; its lines are masked wherever else they appear (echo
    // without quotes joins them with spaces).
    expect(use).toContain(`+ printf '%s\\n' "$KEY"\n******\n+ echo $KEY\n****** ****** ******\n+ test`);
    expect(use).toContain('injected');
    expect(use).not.toContain('s3cr3t');
    expect(use).not.toContain('MIIsecretbody');
    expect(logs.text('leak')).toContain('guessed ****** and ******');
    // Single characters are not masked: they would blank half the log.
    expect(use).toContain('+ echo "token is $TOKEN"');
  });

  it('masks secrets in the errors of steps and stages, which quote what Docker was given', async () => {
    // An environment entry with no name reaches the engine as "=<value>"; the engine refuses it and quotes it.
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: refused
    image: ${IMAGE}
    environment:
      "": { from_secret: token }
    commands: [true]
`);
    const lost = new AbortController();
    const { result, logs, statuses } = await createHarness(instance).run(stage, {
      secrets: { token: 's3cr3t-value' },
    });
    expect(outcomes(result)).toEqual({ refused: 'error' });
    const errors = statuses.history.map((state) => state.error).filter((error) => error !== null);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of [...errors, result.steps[0]?.error]) {
      expect(error).toContain('invalid environment variable: =******');
      expect(error).not.toContain('s3cr3t');
    }
    expect(logs.text('refused')).toContain('invalid environment variable: =******');

    // A stage error (here: the engine lost, with a reason that quotes a secret) is masked the same way.
    lost.abort('answered "s3cr3t-value" and went away');
    const gone = await runDockerStage(
      { docker, logger: quietLogger, options: DEFAULT_RUNNER_OPTIONS },
      {
        ids: { instance, repo: 'octo/hello', build: 'lost', stage: '1' },
        stage,
        secrets: { token: 's3cr3t-value' },
        trusted: false,
        workspace: { kind: 'empty' },
        logs: new MemoryLogs(),
        statuses: new MemoryStatuses(),
        timeoutMs: 60_000,
      },
      lost.signal,
    );
    expect(gone.outcome).toBe('error');
    expect(gone.error).toBe('the Docker engine stopped answering: answered "******" and went away');
  });

  it('cuts a huge log at the cap with a clear last line and keeps the step running', async () => {
    const limit = 1024 * 1024;
    const stage = stageFrom(`
kind: pipeline
name: default
clone: { disable: true }
steps:
  - name: noisy
    image: ${IMAGE}
    commands:
      - yes 0123456789 | head -c 300000000
      - echo done > /drone/src/finished
  - name: after
    image: ${IMAGE}
    commands: [cat finished]
`);
    const { result, logs } = await createHarness(instance, { logLimitBytes: limit }).run(stage);
    expect(outcomes(result)).toEqual({ noisy: 'success', after: 'success' });
    const lines = logs.lines.get('noisy') ?? [];
    const kept = lines.reduce((sum, line) => sum + line.text.length + 1, 0);
    expect(kept).toBeLessThan(limit + 500);
    expect(kept).toBeGreaterThan(limit - 100);
    expect(lines.at(-1)?.text).toBe(
      'drone-gogs: log truncated: this step printed more than 1 MB; the rest of its output is not kept',
    );
    expect(lines.map((line) => line.number)).toEqual(lines.map((_, index) => index));
    // Past the cap the runner closes the attach stream and Docker drops the rest (log-pieces.test.ts shows the
    // close; `npm run bench` reports what it saves in memory).
    expect(logs.text('after')).toContain('done');
  }, 120_000);
});
