/**
 * Gogs' netx.IsBlockedLocalHostname for the TEST DOUBLE: a webhook host that resolves to a loopback, private,
 * link-local or otherwise local address is refused unless `[security] LOCAL_NETWORK_ALLOWLIST` names it
 * exactly or is `*`.
 */
import { lookup } from 'node:dns/promises';
import { BlockList } from 'node:net';

export const BLOCKED_LOCAL_ADDRESS_MESSAGE =
  'Payload URL resolved to a local network address that is implicitly blocked.';

function localAddresses(): BlockList {
  const list = new BlockList();
  const v4: [string, number][] = [
    ['127.0.0.0', 8],
    ['0.0.0.0', 8],
    ['100.64.0.0', 10],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['255.255.255.255', 32],
    ['10.0.0.0', 8],
  ];
  for (const [address, prefix] of v4) list.addSubnet(address, prefix, 'ipv4');
  list.addSubnet('::1', 128, 'ipv6');
  list.addSubnet('fc00::', 7, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  return list;
}

const LOCAL = localAddresses();

export async function isBlockedLocalHostname(
  hostname: string,
  allowlist: readonly string[],
): Promise<boolean> {
  if (allowlist.some((allowed) => allowed === '*' || allowed === hostname)) return false;
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(hostname, { all: true });
  } catch {
    return true;
  }
  return addresses.some(({ address, family }) => LOCAL.check(address, family === 6 ? 'ipv6' : 'ipv4'));
}
