import { describe, expect, it } from 'vitest';
import { createHarness, dockerTestFile, IMAGE, outcomes, stageFrom } from './stage-harness.ts';

const { instance } = dockerTestFile('logs');

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
    expect(use).toContain('******\n******\n******\n+ test');
    expect(use).toContain('injected');
    expect(use).not.toContain('s3cr3t');
    expect(use).not.toContain('MIIsecretbody');
    expect(logs.text('leak')).toContain('guessed ****** and ******');
    // Single characters are not masked: they would blank half the log.
    expect(use).toContain('+ echo "token is $TOKEN"');
  });

  it('cuts a huge log at the cap with a clear last line, keeps the step running, and stays small in memory', async () => {
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
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const { result, logs } = await createHarness(instance, { logLimitBytes: limit }).run(stage);
    clearInterval(sampler);
    expect(outcomes(result)).toEqual({ noisy: 'success', after: 'success' });
    const lines = logs.lines.get('noisy') ?? [];
    const kept = lines.reduce((sum, line) => sum + line.text.length + 1, 0);
    expect(kept).toBeLessThan(limit + 500);
    expect(kept).toBeGreaterThan(limit - 100);
    expect(lines.at(-1)?.text).toBe(
      'drone-gogs: log truncated: this step printed more than 1 MB; the rest of its output is not kept',
    );
    expect(lines.map((line) => line.number)).toEqual(lines.map((_, index) => index));
    expect(logs.text('after')).toContain('done');
    // Past the cap the runner stops reading (Docker drops the rest): reading on and discarding grew the process by
    // 60-80 MB in socket buffers waiting for a garbage collection; keeping it all would mean ~300 MB.
    expect(peak - before).toBeLessThan(40 * 1024 * 1024);
  }, 120_000);
});
