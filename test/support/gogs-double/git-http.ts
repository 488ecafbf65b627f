/**
 * Git smart HTTP for the Gogs TEST DOUBLE at `<url><owner>/<name>.git/…`: Gogs' access rules
 * (route/repo/http.go), then the real `git http-backend` as a CGI program. Rules: pulling a public repository
 * needs no credentials; anything else needs Basic auth where the username+password match, or the username or
 * else the password is an access token; pushing needs write access. After a push the ref changes are announced
 * as Gogs' post-receive hook would.
 */
import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { accessMode } from './access.ts';
import type { DoubleContext } from './double-context.ts';
import { type GitEnvironment, gitBaseEnv } from './git-repo.ts';
import { AccessMode, type RepoRecord, type UserRecord } from './model.ts';
import { announceRefUpdates, diffRefs } from './ref-events.ts';

const GIT_PATH =
  /^\/([^/]+)\/([^/]+?)(?:\.git)?\/(info\/refs|git-upload-pack|git-receive-pack|HEAD|objects\/.+)$/;

export interface GitHttpRequest {
  owner: string;
  name: string;
  action: string;
}

export function matchGitPath(pathname: string): GitHttpRequest | null {
  const match = GIT_PATH.exec(pathname);
  if (!match) return null;
  return { owner: decodeURIComponent(match[1]!), name: decodeURIComponent(match[2]!), action: match[3]! };
}

function askCredentials(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, {
    'WWW-Authenticate': 'Basic realm="."',
    'Content-Type': 'text/plain; charset=utf-8',
  });
  response.end(text);
}

function authenticate(context: DoubleContext, authorization: string | undefined): UserRecord | null {
  const fields = (authorization ?? '').trim().split(/\s+/);
  if (fields.length !== 2 || fields[0] !== 'Basic') return null;
  const decoded = Buffer.from(fields[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const user = context.state.userByName(username);
  if (user && user.password === password) return user;
  return context.state.userByToken(username) ?? context.state.userByToken(password) ?? null;
}

/** Splits CGI output into its header block and the rest; null until the blank line has arrived. */
function splitCgiHeaders(buffered: Buffer): { head: string; rest: Buffer } | null {
  for (const separator of ['\r\n\r\n', '\n\n']) {
    const at = buffered.indexOf(separator);
    if (at !== -1)
      return {
        head: buffered.subarray(0, at).toString('latin1'),
        rest: buffered.subarray(at + separator.length),
      };
  }
  return null;
}

function writeCgiHead(response: ServerResponse, head: string): void {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  response.writeHead(status, headers);
}

function runHttpBackend(
  context: { reposRoot: string; environment: GitEnvironment },
  input: { request: IncomingMessage; response: ServerResponse; pathInfo: string; remoteUser: string | null },
): Promise<number> {
  const { request, response } = input;
  const url = new URL(request.url ?? '/', 'http://double.invalid');
  const gzipped = (request.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
  const env: NodeJS.ProcessEnv = {
    ...gitBaseEnv(context.environment),
    GIT_PROJECT_ROOT: context.reposRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    PATH_INFO: input.pathInfo,
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REQUEST_METHOD: request.method ?? 'GET',
    CONTENT_TYPE: request.headers['content-type'] ?? '',
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    SERVER_PROTOCOL: `HTTP/${request.httpVersion}`,
  };
  // The double inflates gzip bodies itself, so http-backend sees plain bytes and reads them to the end.
  if (!gzipped && request.headers['content-length']) env.CONTENT_LENGTH = request.headers['content-length'];
  if (input.remoteUser) env.REMOTE_USER = input.remoteUser;
  const protocol = request.headers['git-protocol'];
  if (typeof protocol === 'string') env.GIT_PROTOCOL = protocol;

  return new Promise((resolve) => {
    const backend = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const body: Readable = gzipped ? request.pipe(createGunzip()) : request;
    body.on('error', () => backend.stdin.destroy());
    body.pipe(backend.stdin);
    backend.stdin.on('error', () => undefined);

    let pending: Buffer | null = Buffer.alloc(0);
    let stderr = '';
    backend.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    // Collect the CGI header block, answer with it, then stream the rest with back-pressure.
    const readHead = (chunk: Buffer) => {
      pending = Buffer.concat([pending ?? Buffer.alloc(0), chunk]);
      const split = splitCgiHeaders(pending);
      if (!split) return;
      pending = null;
      backend.stdout.off('data', readHead);
      writeCgiHead(response, split.head);
      if (split.rest.length > 0) response.write(split.rest);
      backend.stdout.pipe(response, { end: false });
    };
    backend.stdout.on('data', readHead);
    backend.on('close', (code) => {
      if (pending !== null && !response.headersSent) {
        response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        response.end(`git http-backend failed: ${stderr.trim()}`);
      } else {
        response.end();
      }
      resolve(code ?? -1);
    });
  });
}

export function createGitHttpHandler(
  context: DoubleContext,
  paths: { reposRoot: string; environment: GitEnvironment; relativeGitDir(repo: RepoRecord): string },
) {
  return async function handleGitHttp(
    request: IncomingMessage,
    response: ServerResponse,
    target: GitHttpRequest,
  ): Promise<void> {
    const repo = context.state.repoByName(target.owner, target.name);
    if (!repo) {
      response.writeHead(404).end();
      return;
    }
    const isPull = request.method === 'GET' || target.action === 'git-upload-pack';
    let user: UserRecord | null = null;
    if (!(isPull && !repo.private)) {
      const authorization = request.headers.authorization;
      if (!authorization) return askCredentials(response, 401, '');
      user = authenticate(context, authorization);
      if (!user) return askCredentials(response, 401, '');
      const needed = isPull ? AccessMode.read : AccessMode.write;
      if (accessMode(context.state, user, repo) < needed) {
        return askCredentials(response, 403, 'User permission denied');
      }
    }

    const pathInfo = `/${paths.relativeGitDir(repo)}/${target.action}`;
    const remoteUser = user?.username ?? null;
    if (!(user && target.action === 'git-receive-pack' && request.method === 'POST')) {
      await runHttpBackend(paths, { request, response, pathInfo, remoteUser });
      return;
    }
    const pusher = user;
    // Tracked from the start, so that idle() cannot miss the webhooks of a push whose answer has already gone out.
    const push = (async () => {
      const git = context.gitOf(repo);
      const refsBefore = await git.refs();
      const code = await runHttpBackend(paths, { request, response, pathInfo, remoteUser });
      if (code !== 0) return;
      const updates = diffRefs(refsBefore, await git.refs());
      if (updates.length > 0) await announceRefUpdates(context, repo, pusher, updates);
    })();
    context.track(push);
    await push.catch(() => undefined);
  };
}
