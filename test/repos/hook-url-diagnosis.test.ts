import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { diagnoseHookUrl, gatherHookUrlFacts, isLocalNetworkAddress } from '../../sidecar/repos/index.ts';

const reachedDroneGogs = { reached: true as const, status: 200, location: null, isDroneGogs: true };

function diagnose(
  url: string,
  addresses: string[],
  overrides: Partial<Parameters<typeof diagnoseHookUrl>[0]> = {},
) {
  return diagnoseHookUrl({
    url: new URL(url),
    addresses,
    probe: reachedDroneGogs,
    expectTls: true,
    allowHttp: false,
    ...overrides,
  });
}

describe('isLocalNetworkAddress (what Gogs refuses without LOCAL_NETWORK_ALLOWLIST)', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
  ])('%s is local', (address) => {
    expect(isLocalNetworkAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '2001:db8::1', '::ffff:8.8.8.8', 'not-an-ip'])(
    '%s is not',
    (address) => {
      expect(isLocalNetworkAddress(address)).toBe(false);
    },
  );
});

describe('diagnoseHookUrl', () => {
  it('finds nothing wrong with a public https URL that reaches drone-gogs', () => {
    expect(diagnose('https://ci.example.com/hook', ['203.0.113.10'])).toEqual([]);
  });

  it('warns about a private address and names the app.ini fix with the host', () => {
    const [finding] = diagnose('https://ci.internal/hook', ['10.0.0.7']);
    expect(finding).toMatchObject({ severity: 'warning' });
    expect(finding!.problem).toContain('10.0.0.7');
    expect(finding!.fix).toBe(
      "in Gogs' app.ini set [security] LOCAL_NETWORK_ALLOWLIST = ci.internal (comma-separated hostnames; restart Gogs)",
    );
  });

  it('refuses a URL that redirects and names the final address', () => {
    const findings = diagnose('https://ci.example.com/hook', ['203.0.113.10'], {
      probe: { reached: true, status: 301, location: 'https://ci.example.com/hook/', isDroneGogs: false },
    });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ severity: 'error' });
    expect(findings[0]!.fix).toContain('https://ci.example.com/hook/');
  });

  it('warns about plain http when TLS is used elsewhere, unless explicitly allowed', () => {
    expect(diagnose('http://ci.example.com/hook', ['203.0.113.10']).map((f) => f.problem)).toEqual([
      expect.stringContaining('plain http'),
    ]);
    expect(diagnose('http://ci.example.com/hook', ['203.0.113.10'], { allowHttp: true })).toEqual([]);
    expect(diagnose('http://ci.example.com/hook', ['203.0.113.10'], { expectTls: false })).toEqual([]);
  });

  it('says when the URL does not resolve, cannot be reached, or is not drone-gogs', () => {
    expect(diagnose('https://nowhere.invalid/hook', []).map((f) => f.severity)).toEqual(['error']);
    const unreachable = diagnose('https://ci.example.com/hook', ['203.0.113.10'], {
      probe: { reached: false, error: 'ECONNREFUSED' },
    });
    expect(unreachable[0]!.problem).toContain('ECONNREFUSED');
    const other = diagnose('https://ci.example.com/hook', ['203.0.113.10'], {
      probe: { reached: true, status: 404, location: null, isDroneGogs: false },
    });
    expect(other[0]!.problem).toContain('not as drone-gogs');
  });
});

describe('gatherHookUrlFacts against real loopback servers', () => {
  async function serve(handler: Parameters<typeof createServer>[1]) {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  it('sees a redirect without following it', async () => {
    const server = await serve((_, response) => {
      response.writeHead(302, { location: 'https://elsewhere.example/hook' }).end();
    });
    try {
      const facts = await gatherHookUrlFacts(`${server.url}/hook`, { expectTls: false, allowHttp: false });
      expect(facts.probe).toEqual({
        reached: true,
        status: 302,
        location: 'https://elsewhere.example/hook',
        isDroneGogs: false,
      });
      expect(diagnoseHookUrl(facts).map((f) => f.severity)).toEqual(['warning', 'error']);
    } finally {
      server.close();
    }
  });

  it('recognises drone-gogs behind the URL, and a refused connection', async () => {
    const server = await serve((_, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"service":"drone-gogs","hook":"ready"}');
    });
    const url = `${server.url}/hook`;
    try {
      expect((await gatherHookUrlFacts(url, { expectTls: false, allowHttp: false })).probe).toMatchObject({
        isDroneGogs: true,
      });
    } finally {
      server.close();
    }
    const closed = await gatherHookUrlFacts(url, { expectTls: false, allowHttp: false, timeoutMs: 2000 });
    expect(closed.probe).toEqual({ reached: false, error: 'ECONNREFUSED' });
  });
});
