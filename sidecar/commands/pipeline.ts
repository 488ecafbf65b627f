import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  createBuildContext,
  fileTooLarge,
  formatProblem,
  hasErrors,
  MAX_FILE_BYTES,
  renderPlanTree,
  summarizePlan,
} from '../pipeline/index.ts';
import { lintUnderDeadline, type PipelineSource, planUnderDeadline } from '../trigger/index.ts';
import { type CommandInput, defineCommand, defineCommandGroup } from './command-args.ts';
import type { CommandIO } from './command-io.ts';

const PLAN_OPTIONS = {
  event: { type: 'string' },
  branch: { type: 'string' },
  ref: { type: 'string' },
  action: { type: 'string' },
  target: { type: 'string' },
  repo: { type: 'string' },
  'source-branch': { type: 'string' },
  cron: { type: 'string' },
  changed: { type: 'string', multiple: true },
  instance: { type: 'string' },
  trusted: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

const PLAN_DETAILS = `  --event EVENT           push, pull_request, tag, cron, custom, promote or rollback
  --branch BRANCH         what branch: conditions see: the pushed branch, a pull request's target branch,
                          a tag's name
  --ref REF               git ref (default from event and branch: refs/heads/B, refs/tags/B, refs/pull/1/head)
  --action ACTION         hook action (pull_request: opened, synchronized; tag: create)
  --target T              deploy target (promote, rollback)
  --repo OWNER/NAME       repository (default local/repo)
  --source-branch B       pull request source branch
  --cron NAME             cron job name (event cron)
  --changed PATH          a changed file, for paths: conditions (repeatable)
  --instance HOST         this server's host, for instance: conditions
  --trusted               the repository is trusted
  --json                  print JSON instead of a tree
`;

type Read = { ok: true; file: PipelineSource } | { ok: false; code: number };

/** Reads at most one byte past the limit, so that a huge file or a device cannot exhaust memory. */
async function readPipelineFile(name: string, io: CommandIO): Promise<Read> {
  const path = resolve(io.cwd, name);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    io.stderr(`drone-gogs: cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return { ok: false, code: 1 };
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      io.stderr(`drone-gogs: ${name} is a directory\n`);
      return { ok: false, code: 1 };
    }
    if (stat.isFile() && stat.size > MAX_FILE_BYTES) {
      io.stderr(`${formatProblem(name, fileTooLarge(stat.size))}\n`);
      return { ok: false, code: 1 };
    }
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { ok: true, file: { source: buffer.subarray(0, length), fileName: name } };
  } finally {
    await handle.close();
  }
}

const lint = defineCommand({
  name: 'pipeline lint',
  args: 'FILE [--trusted]',
  summary: 'check a .drone.yml; prints FILE:LINE:COL: error|warning: message; exits 1 on errors',
  details: '  --trusted   the repository is trusted (privileged steps, host volumes are allowed)\n',
  options: { trusted: { type: 'boolean', default: false } },
  positionals: ['FILE'],
  async run({ values, positionals: [name = ''] }, io) {
    const read = await readPipelineFile(name, io);
    if (!read.ok) return read.code;
    // Parsed and linted in a thread under a deadline, as a pushed file is: no file can hang the command.
    const problems = await lintUnderDeadline(read.file, { trusted: values.trusted });
    for (const problem of problems) io.stdout(`${formatProblem(name, problem)}\n`);
    return hasErrors(problems) ? 1 : 0;
  },
});

async function plan(
  { values, positionals: [name = ''], usageError }: CommandInput<typeof PLAN_OPTIONS>,
  io: CommandIO,
): Promise<number> {
  if (values.event === undefined || values.branch === undefined)
    return usageError('pipeline plan needs --event and --branch');
  if (values.repo !== undefined && !/^[^/\s]+\/[^/\s]+$/.test(values.repo))
    return usageError(`--repo must be OWNER/NAME, not "${values.repo}"`);
  const read = await readPipelineFile(name, io);
  if (!read.ok) return read.code;
  const context = createBuildContext({
    event: values.event,
    branch: values.branch,
    ...(values.ref !== undefined && { ref: values.ref }),
    ...(values.action !== undefined && { action: values.action }),
    ...(values.target !== undefined && { deployTarget: values.target }),
    ...(values.repo !== undefined && { repo: values.repo }),
    ...(values['source-branch'] !== undefined && { sourceBranch: values['source-branch'] }),
    ...(values.cron !== undefined && { cron: values.cron }),
    ...(values.instance !== undefined && { instance: values.instance }),
    changedPaths: values.changed ?? null,
    trusted: values.trusted,
  });
  const result = await planUnderDeadline(read.file, context);
  for (const problem of result.problems) {
    if (problem.severity === 'error') io.stderr(`${formatProblem(name, problem)}\n`);
  }
  const summary = summarizePlan(result);
  io.stdout(values.json ? `${JSON.stringify(summary)}\n` : renderPlanTree(summary));
  return result.error === null ? 0 : 1;
}

/** `drone-gogs pipeline lint|plan …`: check a .drone.yml, or show what it would run for an event. */
export const pipelineCommand = defineCommandGroup({
  name: 'pipeline',
  summary: 'check a .drone.yml, or show what it would run',
  subcommands: {
    lint,
    plan: defineCommand({
      name: 'pipeline plan',
      args: 'FILE --event EVENT --branch BRANCH [options]',
      summary: 'show which pipelines and steps would run for an event',
      details: PLAN_DETAILS,
      options: PLAN_OPTIONS,
      positionals: ['FILE'],
      run: plan,
    }),
  },
});
