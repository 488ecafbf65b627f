/**
 * One git command, bounded: killed with everything it started (git-remote-https, index-pack) when it runs out
 * of time, its standard output read up to a cap, its standard error kept as a short tail with the secrets it was
 * given removed. The exit code is the caller's to judge.
 */
import { spawn } from 'node:child_process';
import { AppError } from '../core/index.ts';

/** What is kept of git's standard error: its end, where git says what went wrong. */
const STDERR_TAIL_BYTES = 16 * 1024;

export interface GitCommand {
  args: readonly string[];
  /** The whole environment (see gitEnvironment); nothing is inherited. */
  env: Readonly<Record<string, string>>;
  cwd: string;
  timeoutMs: number;
  /** More standard output than this and git is killed; `stdoutOverflowed` then says so. */
  maxStdoutBytes: number;
  /** Written to git's standard input, which is closed after it. */
  input?: string;
  /** Replaced by `***` in the standard error returned. */
  secrets?: readonly string[];
}

export interface GitOutput {
  /** null when git was killed (its output was too long). */
  exitCode: number | null;
  stdout: Buffer;
  stdoutOverflowed: boolean;
  /** The end of git's standard error, secrets removed. */
  stderr: string;
}

/** `ls-remote`, `fetch`: the subcommand, for messages (the arguments may be long or the pusher's). */
export function subcommandOf(args: readonly string[]): string {
  return args.find((arg) => !arg.startsWith('-')) ?? 'git';
}

export function redact(text: string, secrets: readonly string[]): string {
  let redacted = text;
  for (const secret of secrets) if (secret !== '') redacted = redacted.split(secret).join('***');
  return redacted;
}

/** Keeps the last `limit` bytes of what is written, dropping the first, cut line when anything was dropped. */
function createTail(limit: number) {
  let chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  return {
    write(chunk: Buffer) {
      chunks.push(chunk);
      size += chunk.length;
      if (size <= 2 * limit) return;
      const kept = Buffer.concat(chunks).subarray(size - limit);
      chunks = [kept];
      size = kept.length;
      dropped = true;
    },
    text(): string {
      const bytes = Buffer.concat(chunks);
      const newline = dropped ? bytes.indexOf(0x0a) : -1;
      return bytes.subarray(newline + 1).toString('utf8');
    },
  };
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export function runGit(command: GitCommand): Promise<GitOutput> {
  const name = `git ${subcommandOf(command.args)}`;
  return new Promise((resolve, reject) => {
    // Its own process group, so that a kill reaches the helpers git starts (the HTTP transport holds the socket).
    const child = spawn('git', command.args, {
      cwd: command.cwd,
      env: command.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutOverflowed = false;
    let timedOut = false;
    const stderr = createTail(STDERR_TAIL_BYTES);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, command.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutOverflowed) return;
      const room = command.maxStdoutBytes - stdoutBytes;
      if (chunk.length > room) {
        stdoutOverflowed = true;
        stdout.push(chunk.subarray(0, room));
        stdoutBytes += room;
        killGroup(child.pid);
        return;
      }
      stdout.push(chunk);
      stdoutBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.write(chunk));
    // git may exit without reading all of its input.
    child.stdin.on('error', () => undefined);
    child.stdin.end(command.input ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new AppError('GIT_FAILED', `${name} could not be started: ${error.message}`, { cause: error }));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(new AppError('GIT_FAILED', `${name} timed out after ${command.timeoutMs} ms and was stopped`));
        return;
      }
      resolve({
        exitCode: code,
        stdout: Buffer.concat(stdout),
        stdoutOverflowed,
        stderr: redact(stderr.text(), command.secrets ?? []),
      });
    });
  });
}
