import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { LOCAL_ADMIN, type SecretOwner, type SecretView } from '../core/index.ts';
import {
  MAX_SECRET_VALUE_BYTES,
  orgNameProblem,
  repoNameProblem,
  secretNameProblem,
  secretValueProblem,
} from '../secrets/index.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import type { CommandIO } from './command-io.ts';
import { terminalJson, terminalText } from './terminal-text.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

/** Where a value comes from when no `--data-file` is given: the process's stdin, passed in for tests. */
export interface ValueInput {
  /** True when stdin is a terminal, where nobody should type a secret unseen. */
  isTerminal(): boolean;
  /** Everything on stdin up to its end, or the first `maxBytes + 1` bytes when there is more. */
  read(maxBytes: number): Promise<Buffer>;
}

/** The value with its line ending (a newline or CR LF) and one more byte: more than that is too much. */
const READ_LIMIT = MAX_SECRET_VALUE_BYTES + 2;

const VALUE_HELP = `  The value is read from --data-file FILE, or from stdin when it is not a terminal; exactly one
  trailing newline (\\n or \\r\\n) is dropped, so \`echo VALUE | drone-gogs secret add …\` stores VALUE. A value is
  never taken from the command line, where it would stay in the shell's history and show in \`ps\`. At most
  ${MAX_SECRET_VALUE_BYTES} bytes (64 KiB) of UTF-8 text, at least 2 characters (shorter ones cannot be masked in logs).
`;
const OWNER_HELP = `  OWNER/NAME               a repository drone-gogs knows; its secrets override its owner's of that name
  --org ORG                an organisation's (or user's) secret instead, for every repository ORG owns
`;
const NAME_HELP =
  '  NAME                     letters, digits, _ . -; case-insensitive, as `from_secret` is\n';

const ORG = { org: { type: 'string' } } as const;
const DATA = {
  'data-file': { type: 'string' },
  'allow-pull-request': { type: 'boolean' },
} as const;

async function readBounded(chunks: AsyncIterable<Buffer | string>, maxBytes: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    parts.push(bytes);
    size += bytes.length;
    if (size > maxBytes) break;
  }
  return Buffer.concat(parts).subarray(0, maxBytes + 1);
}

/** The process's own stdin. */
export const processStdin: ValueInput = {
  isTerminal: () => Boolean(process.stdin.isTTY),
  read: (maxBytes) => readBounded(process.stdin, maxBytes),
};

/**
 * The owner and the secret's name from `OWNER/NAME NAME` or `--org ORG NAME`, or what is wrong with them. A word
 * past them is refused without being echoed: it may be the value.
 */
function ownerAndName(
  command: string,
  org: string | undefined,
  positionals: string[],
  /** `owner`: OWNER/NAME alone; `name`: and NAME; `value`: and NAME, where a word more would be the value. */
  takes: 'owner' | 'name' | 'value',
): { owner: SecretOwner; name: string } | string {
  const needsName = takes !== 'owner';
  const [first = '', second] = positionals;
  const words = needsName ? 2 : 1;
  const given = org === undefined ? positionals : ['', ...positionals];
  if (org !== undefined && first.includes('/')) return 'give OWNER/NAME or --org ORG, not both';
  if (org === undefined && first === '')
    return `${command} needs OWNER/NAME (or --org ORG)${needsName ? ' and NAME' : ''}`;
  if (given.length > words)
    return takes === 'value'
      ? 'a secret value is never taken from the command line (it would stay in the shell history and show in `ps`); give it on stdin or with --data-file FILE'
      : `unexpected argument "${terminalText(given[words] ?? '', 40)}"`;
  const name = (org === undefined ? second : first) ?? '';
  if (needsName && name === '') return `${command} needs NAME`;
  const ownerProblem = org === undefined ? repoNameProblem(first) : orgNameProblem(org);
  if (ownerProblem !== null) return ownerProblem;
  const nameProblem = needsName ? secretNameProblem(name) : null;
  if (nameProblem !== null) return nameProblem;
  return { owner: org === undefined ? { repo: first } : { org }, name };
}

/** The text from `--data-file` or stdin with one line ending dropped; not yet checked as a value. */
async function readValue(
  io: CommandIO,
  stdin: ValueInput,
  dataFile: string | undefined,
): Promise<{ text: string } | Refusal> {
  let bytes: Buffer;
  if (dataFile !== undefined) {
    try {
      bytes = await readBounded(createReadStream(resolve(io.cwd, dataFile), { end: READ_LIMIT }), READ_LIMIT);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      return { problem: `cannot read ${terminalText(dataFile, 200)}: ${code}`, usage: false };
    }
  } else if (stdin.isTerminal()) {
    return {
      problem:
        'give the value on stdin (`printf %s VALUE | drone-gogs secret …`) or with --data-file FILE; it is never read from a terminal or the command line',
      usage: true,
    };
  } else {
    bytes = await stdin.read(READ_LIMIT);
  }
  if (bytes.length > READ_LIMIT)
    return {
      problem: `the secret value is more than ${MAX_SECRET_VALUE_BYTES} bytes; the limit is ${MAX_SECRET_VALUE_BYTES} (64 KiB)`,
      usage: false,
    };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return { problem: 'the secret value is not UTF-8 text', usage: false };
  }
  return { text: text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text };
}

/** A value that cannot be stored: a usage error (exit 2) when the command line was wrong, else exit 1. */
interface Refusal {
  problem: string;
  usage: boolean;
}

function checkedValue(text: string): { value: string } | Refusal {
  const problem = secretValueProblem(text);
  return problem === null ? { value: text } : { problem, usage: false };
}

function refuse(io: CommandIO, usageError: (message: string) => number, refusal: Refusal): number {
  if (refusal.usage) return usageError(refusal.problem);
  io.stderr(`drone-gogs: ${refusal.problem}\n`);
  return 1;
}

function ownerText(secret: SecretView): string {
  return terminalText(secret.scope === 'repo' ? secret.repo : `organisation ${secret.namespace}`, 300);
}

function exposureText(secret: SecretView): string {
  return secret.pull_request
    ? 'exposed to pull requests from the repository itself, never to forks'
    : 'not exposed to pull requests';
}

function formatTable(secrets: SecretView[]): string {
  if (secrets.length === 0) return 'no secrets\n';
  const rows = secrets.map((secret) => [
    terminalText(secret.name, 200),
    secret.pull_request ? 'yes' : 'no',
    terminalText(secret.created_by, 100),
    `${new Date(secret.updated * 1000).toISOString().slice(0, 19)}Z`,
  ]);
  return textTable(['NAME', 'PULL REQUESTS', 'ADDED BY', 'UPDATED'], rows);
}

/** `drone-gogs secret …` reading values from `stdin` when no `--data-file` is given. */
export function secretCommandReading(stdin: ValueInput) {
  const add = defineCommand({
    name: 'secret add',
    args: '(OWNER/NAME | --org ORG) NAME [--data-file FILE] [--allow-pull-request]',
    summary: 'store a new secret, encrypted, for the builds of a repository or of an organisation',
    details: `${OWNER_HELP}${NAME_HELP}  --data-file FILE         read the value from FILE
  --allow-pull-request     expose it to pull requests from the repository itself (never to forks)

${VALUE_HELP}`,
    options: { ...ORG, ...DATA },
    positionals: ['[OWNER/NAME]', '[NAME]', '[VALUE]'],
    async run(input, io) {
      const { values, positionals } = input;
      const target = ownerAndName('secret add', values.org, positionals, 'value');
      if (typeof target === 'string') return input.usageError(target);
      const read = await readValue(io, stdin, values['data-file']);
      const checked = 'problem' in read ? read : checkedValue(read.text);
      if ('problem' in checked) return refuse(io, input.usageError, checked);
      return withServices(io, async (services) => {
        const { secret, warnings } = await services.secrets.add(LOCAL_ADMIN, target.owner, {
          name: target.name,
          value: checked.value,
          pullRequest: values['allow-pull-request'] ?? false,
        });
        for (const warning of warnings) io.stderr(`warning: ${terminalText(warning, 500)}\n`);
        io.stdout(
          `added secret ${terminalText(secret.name, 200)} to ${ownerText(secret)} (${exposureText(secret)})\n`,
        );
        return 0;
      });
    },
  });

  const update = defineCommand({
    name: 'secret update',
    args: '(OWNER/NAME | --org ORG) NAME [--data-file FILE] [--allow-pull-request | --no-allow-pull-request]',
    summary: "replace a secret's value, or change whether pull requests get it",
    details: `${OWNER_HELP}${NAME_HELP}  --data-file FILE         read the new value from FILE
  --allow-pull-request     from now on expose it to pull requests from the repository itself (never forks)
  --no-allow-pull-request  from now on keep it from pull requests

${VALUE_HELP}  With stdin a terminal (or empty) and no --data-file, only the pull request rule changes.
`,
    options: { ...ORG, ...DATA, 'no-allow-pull-request': { type: 'boolean' } },
    positionals: ['[OWNER/NAME]', '[NAME]', '[VALUE]'],
    async run(input, io) {
      const { values, positionals } = input;
      const target = ownerAndName('secret update', values.org, positionals, 'value');
      if (typeof target === 'string') return input.usageError(target);
      const allow = values['allow-pull-request'];
      const deny = values['no-allow-pull-request'];
      if (allow && deny)
        return input.usageError('give --allow-pull-request or --no-allow-pull-request, not both');
      const pullRequest = allow ? true : deny ? false : undefined;
      let value: string | undefined;
      // Only the rule changes when no value is given: stdin a terminal (not read) or empty.
      if (!(values['data-file'] === undefined && pullRequest !== undefined && stdin.isTerminal())) {
        const read = await readValue(io, stdin, values['data-file']);
        const ruleOnly =
          !('problem' in read) &&
          read.text === '' &&
          values['data-file'] === undefined &&
          pullRequest !== undefined;
        if (!ruleOnly) {
          const checked = 'problem' in read ? read : checkedValue(read.text);
          if ('problem' in checked) return refuse(io, input.usageError, checked);
          value = checked.value;
        }
      }
      return withServices(io, async (services) => {
        const secret = await services.secrets.update(LOCAL_ADMIN, target.owner, target.name, {
          ...(value === undefined ? {} : { value }),
          ...(pullRequest === undefined ? {} : { pullRequest }),
        });
        io.stdout(
          `updated secret ${terminalText(secret.name, 200)} of ${ownerText(secret)}: value ${
            value === undefined ? 'kept' : 'replaced'
          }, ${exposureText(secret)}\n`,
        );
        return 0;
      });
    },
  });

  const ls = defineCommand({
    name: 'secret ls',
    args: '(OWNER/NAME | --org ORG) [--json]',
    summary: 'the secrets of a repository or an organisation: names and rules, never values',
    details: `${OWNER_HELP}  --json                   print JSON (Drone's names: name, namespace, pull_request), not a table
`,
    options: { ...ORG, json: { type: 'boolean' } },
    positionals: ['[OWNER/NAME]'],
    async run(input, io) {
      const { values, positionals } = input;
      const target = ownerAndName('secret ls', values.org, positionals, 'owner');
      if (typeof target === 'string') return input.usageError(target);
      return withServices(io, async (services) => {
        const secrets = await services.secrets.list(LOCAL_ADMIN, target.owner);
        io.stdout(values.json ? terminalJson(secrets) : formatTable(secrets));
        return 0;
      });
    },
  });

  const rm = defineCommand({
    name: 'secret rm',
    args: '(OWNER/NAME | --org ORG) NAME',
    summary: 'remove a secret; builds that start from now on no longer get it',
    details: `${OWNER_HELP}${NAME_HELP}`,
    options: { ...ORG },
    positionals: ['[OWNER/NAME]', '[NAME]'],
    async run(input, io) {
      const { values, positionals } = input;
      const target = ownerAndName('secret rm', values.org, positionals, 'name');
      if (typeof target === 'string') return input.usageError(target);
      return withServices(io, async (services) => {
        const secret = await services.secrets.remove(LOCAL_ADMIN, target.owner, target.name);
        io.stdout(`removed secret ${terminalText(secret.name, 200)} from ${ownerText(secret)}\n`);
        return 0;
      });
    },
  });

  return defineCommandGroup({
    name: 'secret',
    summary: 'repository and organisation secrets for `from_secret`',
    subcommands: { add, update, ls, rm },
  });
}

/** `drone-gogs secret …`: repository and organisation secrets, with Drone's CLI words. */
export const secretCommand = secretCommandReading(processStdin);
