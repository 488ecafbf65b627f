import { lookup } from 'node:dns/promises';
import type { HookUrlFacts, HookUrlProbe } from './hook-url-diagnosis.ts';

/** Gathers what diagnoseHookUrl needs: DNS answers and one GET of the hook URL that does not follow redirects. */
export async function gatherHookUrlFacts(
  hookUrl: string,
  options: { expectTls: boolean; allowHttp: boolean; timeoutMs?: number },
): Promise<HookUrlFacts> {
  const url = new URL(hookUrl);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = await lookup(host, { all: true, verbatim: true })
    .then((answers) => answers.map((answer) => answer.address))
    .catch(() => []);
  return { url, addresses, probe: await probe(url, options.timeoutMs ?? 5000), ...options };
}

async function probe(url: URL, timeoutMs: number): Promise<HookUrlProbe> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text().catch(() => '');
    let isDroneGogs = false;
    try {
      isDroneGogs = (JSON.parse(text) as { service?: unknown }).service === 'drone-gogs';
    } catch {}
    return {
      reached: true,
      status: response.status,
      location: response.headers.get('location'),
      isDroneGogs,
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { reached: false, error: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}
