import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(REPO_ROOT, 'sidecar/cli.ts');

export interface SidecarProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGTERM and wait for a clean exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process dies at once, as in a crash. */
  kill(): Promise<void>;
}

/**
 * Runs `drone-gogs serve` as its own process (the real CLI, or `launcher`: a Node and the script it runs, such
 * as bin/drone-gogs.js) and waits until it says where it listens.
 */
export async function startSidecarProcess(options: {
  cwd: string;
  env?: Record<string, string>;
  launcher?: { node: string; script: string };
}): Promise<SidecarProcess> {
  const { node, script } = options.launcher ?? { node: process.execPath, script: CLI };
  const child = spawn(node, [script, 'serve'], {
    cwd: options.cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: options.cwd,
      DRONE_GOGS_LISTEN: '127.0.0.1:0',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) done(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    exited.then((code) => fail(new Error(`sidecar exited with ${code} before listening:\n${output}`)));
    setTimeout(() => fail(new Error(`sidecar did not start in 20 s:\n${output}`)), 20_000).unref();
  });
  return {
    url,
    child,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
