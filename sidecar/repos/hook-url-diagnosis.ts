import { BlockList, isIP } from 'node:net';
import type { HookUrlFinding } from '../core/index.ts';

export type HookUrlProbe =
  | { reached: true; status: number; location: string | null; isDroneGogs: boolean }
  | { reached: false; error: string };

export interface HookUrlFacts {
  url: URL;
  /** Every address the host resolves to (empty when it does not resolve). */
  addresses: string[];
  probe: HookUrlProbe;
  /** True when the sidecar's public URL or Gogs itself uses https, so plain http is a downgrade. */
  expectTls: boolean;
  allowHttp: boolean;
}

type Check = (facts: HookUrlFacts) => HookUrlFinding | null;

const LOCAL_NETWORKS = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  LOCAL_NETWORKS.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  LOCAL_NETWORKS.addSubnet(network, prefix, 'ipv6');
}

/** Loopback, private, link-local, CGNAT or unique-local: what Gogs' netx.IsBlockedLocalHostname refuses. */
export function isLocalNetworkAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return LOCAL_NETWORKS.check(mapped, 'ipv4');
  return LOCAL_NETWORKS.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** What silently breaks Gogs deliveries, as small named checks run in order. */
export const HOOK_URL_CHECKS: Record<string, Check> = {
  resolves({ url, addresses }) {
    if (addresses.length > 0 || isIP(hostOf(url))) return null;
    return {
      severity: 'error',
      problem: `${hostOf(url)} does not resolve here`,
      fix: 'set DRONE_GOGS_HOOK_URL to an address Gogs can reach',
    };
  },
  localNetwork({ url, addresses }) {
    const host = hostOf(url);
    const local = (isIP(host) ? [host] : addresses).find(isLocalNetworkAddress);
    if (!local) return null;
    return {
      severity: 'warning',
      problem: `${host} resolves to ${local}, a local network address: Gogs 0.12.8+ refuses to deliver there unless allowlisted`,
      fix: `in Gogs' app.ini set [security] LOCAL_NETWORK_ALLOWLIST = ${host} (comma-separated hostnames; restart Gogs)`,
    };
  },
  noRedirect({ probe }) {
    if (!probe.reached || probe.status < 300 || probe.status >= 400) return null;
    return {
      severity: 'error',
      problem: `the hook URL answers ${probe.status} redirecting to ${probe.location ?? '(no Location)'}: Gogs 0.14.3+ refuses redirects, older versions turn the POST into a bodiless GET`,
      fix: `set DRONE_GOGS_HOOK_URL to the final address${probe.location ? ` (${probe.location})` : ''}`,
    };
  },
  tls({ url, expectTls, allowHttp }) {
    if (url.protocol !== 'http:' || allowHttp || !expectTls) return null;
    return {
      severity: 'warning',
      problem: `the hook URL uses plain http while TLS is in use elsewhere: payloads and signatures travel unencrypted`,
      fix: 'use an https:// DRONE_GOGS_HOOK_URL (Caddy in front of the sidecar terminates TLS), or set DRONE_GOGS_INSECURE_ALLOW_HTTP_HOOKS=true',
    };
  },
  reachable({ url, probe }) {
    if (probe.reached) return null;
    return {
      severity: 'warning',
      problem: `could not reach ${url.origin}${url.pathname} from here (${probe.error})`,
      fix: 'make sure Gogs can reach the hook URL; `drone-gogs serve` must be running behind it',
    };
  },
  leadsToDroneGogs({ probe }) {
    if (!probe.reached || (probe.status >= 300 && probe.status < 400) || probe.isDroneGogs) return null;
    return {
      severity: 'warning',
      problem: `the hook URL answered ${probe.status} but not as drone-gogs`,
      fix: "point DRONE_GOGS_HOOK_URL (or the proxy route) at the sidecar's /hook",
    };
  },
};

export function diagnoseHookUrl(facts: HookUrlFacts): HookUrlFinding[] {
  return Object.values(HOOK_URL_CHECKS)
    .map((check) => check(facts))
    .filter((finding): finding is HookUrlFinding => finding !== null);
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}
