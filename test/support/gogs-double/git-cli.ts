/**
 * The real `git` CLI for tests against the Gogs TEST DOUBLE: a throw-away HOME with an identity and no
 * credential helpers, never prompting, working in its own temporary directory.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type GitResult, runGit } from './git-repo.ts';

export interface GitCli {
  /** A scratch directory for clones. */
  readonly workDir: string;
  run(args: readonly string[], cwd?: string): Promise<GitResult & { output: string }>;
  cleanup(): Promise<void>;
}

export async function createGitCli(): Promise<GitCli> {
  const root = await mkdtemp(join(tmpdir(), 'gogs-double-cli-'));
  const home = join(root, 'home');
  const workDir = join(root, 'work');
  await mkdir(home);
  await mkdir(workDir);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LANG: 'C',
    GIT_AUTHOR_NAME: 'Test Pusher',
    GIT_AUTHOR_EMAIL: 'pusher@example.com',
    GIT_COMMITTER_NAME: 'Test Pusher',
    GIT_COMMITTER_EMAIL: 'pusher@example.com',
  };
  return {
    workDir,
    async run(args, cwd = workDir) {
      const result = await runGit(['-c', 'credential.helper=', ...args], { env, cwd });
      return { ...result, output: `${result.stdout.toString('utf8')}${result.stderr}` };
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}
