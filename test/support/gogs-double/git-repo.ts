/**
 * A bare git repository of the Gogs TEST DOUBLE, driven through the real `git` CLI (plumbing only, so no work
 * tree is needed). Everything the double's API says about commits, branches and files is read from here.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

export const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface GitSignature {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  seconds: number;
  /** As git writes it: `+0200`. */
  offset: string;
}

export interface CommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: GitSignature;
  committer: GitSignature;
  /** The full message, with its trailing newline. */
  message: string;
}

export interface ChangedFiles {
  added: string[];
  removed: string[];
  modified: string[];
}

export interface GitPerson {
  name: string;
  email: string;
  date?: Date;
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface GitEnvironment {
  /** A HOME with no user configuration, so the machine's git settings cannot leak in. */
  home: string;
}

export function gitBaseEnv(environment: GitEnvironment): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: environment.home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
  };
}

export function runGit(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; input?: string | Buffer; cwd?: string },
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    // git may exit without reading its input; that is not an error here.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => {
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.end(options.input ?? '');
  });
}

function parseSignature(line: string): GitSignature {
  const match = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
  if (!match) throw new Error(`gogs double: cannot parse git signature "${line}"`);
  return { name: match[1]!, email: match[2]!, seconds: Number(match[3]), offset: match[4]! };
}

function parseCommit(sha: string, raw: string): CommitInfo {
  const split = raw.indexOf('\n\n');
  const header = split === -1 ? raw : raw.slice(0, split);
  const message = split === -1 ? '' : raw.slice(split + 2);
  let tree = '';
  const parents: string[] = [];
  let author: GitSignature | undefined;
  let committer: GitSignature | undefined;
  for (const line of header.split('\n')) {
    if (line.startsWith(' ')) continue;
    const space = line.indexOf(' ');
    const key = line.slice(0, space);
    const value = line.slice(space + 1);
    if (key === 'tree') tree = value;
    else if (key === 'parent') parents.push(value);
    else if (key === 'author') author = parseSignature(value);
    else if (key === 'committer') committer = parseSignature(value);
  }
  if (!author || !committer) throw new Error(`gogs double: commit ${sha} has no author or committer`);
  return { sha, tree, parents, author, committer, message };
}

function gitDate(date: Date): string {
  return `@${Math.floor(date.getTime() / 1000)} +0000`;
}

async function directorySize(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) total += await directorySize(child);
    else if (entry.isFile()) total += (await stat(child)).size;
  }
  return total;
}

export interface GitRepo {
  readonly dir: string;
  init(defaultBranch: string): Promise<void>;
  /** refname → object id, e.g. `refs/heads/main` → sha. */
  refs(): Promise<Map<string, string>>;
  /** The object a revision names, unpeeled (an annotated tag gives the tag object); null if none. */
  revParse(rev: string): Promise<string | null>;
  /** The commit a revision names, peeling tags; null if none. */
  resolveCommit(rev: string): Promise<string | null>;
  readCommit(rev: string): Promise<CommitInfo>;
  changedFiles(commit: CommitInfo): Promise<ChangedFiles>;
  /** Commits reachable from `head` and not from `exclude`, newest first. */
  revList(head: string, options?: { exclude?: string; max?: number }): Promise<string[]>;
  readBlob(commit: string, path: string): Promise<Buffer | null>;
  writeCommit(input: {
    parent: string | null;
    files: Record<string, string | null>;
    message: string;
    author: GitPerson;
    committer: GitPerson;
  }): Promise<string>;
  commitTree(input: {
    tree: string;
    parents: string[];
    message: string;
    author: GitPerson;
    committer: GitPerson;
  }): Promise<string>;
  createTagObject(input: {
    name: string;
    target: string;
    message: string;
    tagger: GitPerson;
  }): Promise<string>;
  updateRef(ref: string, sha: string): Promise<void>;
  deleteRef(ref: string): Promise<void>;
  mergeBase(a: string, b: string): Promise<string | null>;
  /** The tree of merging `theirs` into `ours`; null when they conflict. */
  mergeTree(ours: string, theirs: string): Promise<string | null>;
  /** Copies `branch` of another repository into `ref` here (Gogs' PushToBaseRepo for refs/pull/N/head). */
  fetchRef(fromDir: string, branch: string, ref: string): Promise<void>;
  sizeBytes(): Promise<number>;
}

export function createGitRepo(dir: string, environment: GitEnvironment): GitRepo {
  const baseEnv = { ...gitBaseEnv(environment), GIT_DIR: dir };

  async function git(
    args: readonly string[],
    options: { input?: string | Buffer; env?: NodeJS.ProcessEnv } = {},
  ) {
    const result = await runGit(args, { env: { ...baseEnv, ...options.env }, input: options.input });
    if (result.code !== 0) {
      throw new Error(`gogs double: git ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
    }
    return result.stdout.toString('utf8');
  }

  async function tryGit(args: readonly string[]): Promise<GitResult> {
    return runGit(args, { env: baseEnv });
  }

  function personEnv(author: GitPerson, committer: GitPerson): NodeJS.ProcessEnv {
    const now = new Date();
    return {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_AUTHOR_DATE: gitDate(author.date ?? now),
      GIT_COMMITTER_NAME: committer.name,
      GIT_COMMITTER_EMAIL: committer.email,
      GIT_COMMITTER_DATE: gitDate(committer.date ?? now),
    };
  }

  const repo: GitRepo = {
    dir,
    async init(defaultBranch) {
      await runGit(['init', '--bare', '--quiet', `--initial-branch=${defaultBranch}`, dir], {
        env: gitBaseEnv(environment),
      }).then((result) => {
        if (result.code !== 0) throw new Error(`gogs double: git init failed: ${result.stderr}`);
      });
      // Gogs answers receive-pack itself and checks rights first; the double checks rights, then lets
      // http-backend serve receive-pack even to a request without REMOTE_USER (the info/refs advertisement).
      await git(['config', 'http.receivepack', 'true']);
    },
    async refs() {
      const out = await git(['for-each-ref', '--format=%(objectname) %(refname)']);
      const refs = new Map<string, string>();
      for (const line of out.split('\n')) {
        if (line === '') continue;
        const space = line.indexOf(' ');
        refs.set(line.slice(space + 1), line.slice(0, space));
      }
      return refs;
    },
    async revParse(rev) {
      const result = await tryGit(['rev-parse', '--verify', '--quiet', '--end-of-options', rev]);
      return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
    },
    async resolveCommit(rev) {
      const result = await tryGit([
        'rev-parse',
        '--verify',
        '--quiet',
        '--end-of-options',
        `${rev}^{commit}`,
      ]);
      return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
    },
    async readCommit(rev) {
      const sha = await repo.resolveCommit(rev);
      if (!sha) throw new Error(`gogs double: no commit ${rev}`);
      return parseCommit(sha, await git(['cat-file', 'commit', sha]));
    },
    async changedFiles(commit) {
      const range = commit.parents.length === 0 ? ['--root', commit.sha] : [commit.parents[0]!, commit.sha];
      const out = await git([
        'diff-tree',
        '-r',
        '-z',
        '--name-status',
        '--no-renames',
        '--no-commit-id',
        ...range,
      ]);
      const files: ChangedFiles = { added: [], removed: [], modified: [] };
      const fields = out.split('\0').filter((field) => field !== '');
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const status = fields[i]!;
        const path = fields[i + 1]!;
        if (status === 'A') files.added.push(path);
        else if (status === 'D') files.removed.push(path);
        else files.modified.push(path);
      }
      return files;
    },
    async revList(head, options = {}) {
      const args = ['rev-list'];
      if (options.max !== undefined) args.push(`--max-count=${options.max}`);
      args.push(head);
      if (options.exclude && options.exclude !== ZERO_SHA) args.push(`^${options.exclude}`);
      const out = await git(args);
      return out.split('\n').filter((line) => line !== '');
    },
    async readBlob(commit, path) {
      const result = await tryGit(['cat-file', 'blob', `${commit}:${path}`]);
      return result.code === 0 ? result.stdout : null;
    },
    async writeCommit(input) {
      const indexFile = join(dir, `double-index-${randomUUID()}`);
      const env = { GIT_INDEX_FILE: indexFile };
      try {
        await git(input.parent ? ['read-tree', input.parent] : ['read-tree', '--empty'], { env });
        // --index-info works without a work tree; mode 0 removes an entry.
        const entries: string[] = [];
        for (const [path, content] of Object.entries(input.files)) {
          if (content === null) {
            entries.push(`0 ${ZERO_SHA}\t${path}\0`);
            continue;
          }
          const blob = (await git(['hash-object', '-w', '--stdin'], { input: content })).trim();
          entries.push(`100644 ${blob}\t${path}\0`);
        }
        await git(['update-index', '-z', '--index-info'], { env, input: entries.join('') });
        const tree = (await git(['write-tree'], { env })).trim();
        return await repo.commitTree({
          tree,
          parents: input.parent ? [input.parent] : [],
          message: input.message,
          author: input.author,
          committer: input.committer,
        });
      } finally {
        await rm(indexFile, { force: true });
      }
    },
    async commitTree(input) {
      const message = input.message.endsWith('\n') ? input.message : `${input.message}\n`;
      const parents = input.parents.flatMap((parent) => ['-p', parent]);
      const out = await git(['commit-tree', input.tree, ...parents, '-F', '-'], {
        input: message,
        env: personEnv(input.author, input.committer),
      });
      return out.trim();
    },
    async createTagObject(input) {
      const seconds = Math.floor((input.tagger.date ?? new Date()).getTime() / 1000);
      const message = input.message.endsWith('\n') ? input.message : `${input.message}\n`;
      const body =
        `object ${input.target}\ntype commit\ntag ${input.name}\n` +
        `tagger ${input.tagger.name} <${input.tagger.email}> ${seconds} +0000\n\n${message}`;
      return (await git(['mktag'], { input: body })).trim();
    },
    async updateRef(ref, sha) {
      await git(['update-ref', ref, sha]);
    },
    async deleteRef(ref) {
      await git(['update-ref', '-d', ref]);
    },
    async mergeBase(a, b) {
      const result = await tryGit(['merge-base', a, b]);
      return result.code === 0 ? result.stdout.toString('utf8').trim() : null;
    },
    async mergeTree(ours, theirs) {
      const result = await tryGit(['merge-tree', '--write-tree', ours, theirs]);
      if (result.code === 1) return null;
      if (result.code !== 0) throw new Error(`gogs double: git merge-tree failed: ${result.stderr.trim()}`);
      return result.stdout.toString('utf8').split('\n')[0]!.trim();
    },
    async fetchRef(fromDir, branch, ref) {
      await git(['fetch', '--quiet', '--no-tags', fromDir, `+refs/heads/${branch}:${ref}`]);
    },
    async sizeBytes() {
      return directorySize(dir);
    },
  };
  return repo;
}
