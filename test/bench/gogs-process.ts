/**
 * The Gogs test double of gogs-server.ts in a child process, as Gogs runs beside the sidecar: its git and HTTP
 * work does not share the measured process's event loop. Pushes are sent one at a time over its standard input.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { PushResult } from '../support/gogs-double/index.ts';

export interface GogsInfo {
  url: string;
  token: string;
  gogsId: number;
  cloneUrl: string;
  before: string;
  after: string;
}

export interface GogsProcess {
  info: GogsInfo;
  /** The JSON line the process printed first, for a process of its own to parse. */
  infoLine: string;
  push(input: { branch: string; files: Record<string, string | null>; message: string }): Promise<PushResult>;
  stop(): void;
}

export async function startGogsProcess(): Promise<GogsProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'gogs-server.ts')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting: { resolve(line: string): void; reject(error: Error): void }[] = [];
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.once('exit', (code) => {
    for (const each of waiting.splice(0)) each.reject(new Error(`the Gogs double exited with ${code}`));
  });
  const nextLine = () => new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }));
  const infoLine = await nextLine();
  return {
    info: JSON.parse(infoLine) as GogsInfo,
    infoLine,
    async push(input) {
      const answer = nextLine();
      child.stdin.write(`${JSON.stringify({ push: input })}\n`);
      const reply = JSON.parse(await answer) as { pushed?: PushResult; error?: string };
      if (reply.pushed === undefined) throw new Error(`the Gogs double could not push: ${reply.error}`);
      return reply.pushed;
    },
    stop() {
      child.kill('SIGTERM');
    },
  };
}
