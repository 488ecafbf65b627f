import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../sidecar/config/index.ts';
import { problemsOf } from './config-problems.ts';

describe('the HTTP limits settings', () => {
  it('default to Gogs’ own 15 s delivery timeout for headers and /hook bodies, and 5 s of keep-alive', () => {
    const config = loadConfig({}, '/srv');
    expect(config.http).toEqual({ headersTimeoutMs: 15_000, keepAliveTimeoutMs: 5_000 });
    expect(config.hooks.bodyTimeoutMs).toBe(15_000);
  });

  it('are read in seconds, and nonsense is refused by name', () => {
    const config = loadConfig(
      {
        DRONE_GOGS_HTTP_HEADERS_TIMEOUT_SECONDS: '10',
        DRONE_GOGS_HTTP_KEEPALIVE_TIMEOUT_SECONDS: '2',
        DRONE_GOGS_HOOK_BODY_TIMEOUT_SECONDS: '7',
      },
      '/srv',
    );
    expect(config.http).toEqual({ headersTimeoutMs: 10_000, keepAliveTimeoutMs: 2_000 });
    expect(config.hooks.bodyTimeoutMs).toBe(7_000);
    expect(
      problemsOf({
        DRONE_GOGS_HTTP_HEADERS_TIMEOUT_SECONDS: '301',
        DRONE_GOGS_HTTP_KEEPALIVE_TIMEOUT_SECONDS: '0',
        DRONE_GOGS_HOOK_BODY_TIMEOUT_SECONDS: 'soon',
      }),
    ).toEqual([
      expect.stringMatching(/^DRONE_GOGS_HOOK_BODY_TIMEOUT_SECONDS: /),
      expect.stringMatching(/^DRONE_GOGS_HTTP_HEADERS_TIMEOUT_SECONDS: expected at most 300/),
      expect.stringMatching(/^DRONE_GOGS_HTTP_KEEPALIVE_TIMEOUT_SECONDS: expected at least 1/),
    ]);
  });
});
