import {
  BUILD_STATUSES,
  buildListQueryProblem,
  DEFAULT_BUILD_PAGE_SIZE,
  MAX_BUILD_PAGE_SIZE,
} from '../builds/index.ts';
import {
  BUILD_EVENTS,
  type BuildListQuery,
  type BuildProvenance,
  type DroneBuild,
  type DroneBuildDetail,
  type DroneStage,
  LOCAL_ADMIN,
} from '../core/index.ts';
import type { Services } from '../main.ts';
import { defineCommand, defineCommandGroup } from './command-args.ts';
import { terminalJson, terminalText } from './terminal-text.ts';
import { textTable } from './text-table.ts';
import { withServices } from './with-services.ts';

const ls = defineCommand({
  name: 'build ls',
  args: 'OWNER/NAME [--branch B] [--event E] [--status S] [--limit N] [--page N] [--json]',
  summary: 'the builds of a repository, newest first',
  details: `  --branch B   builds into branch B (a pull request's base)
  --event E    one of ${BUILD_EVENTS.join(', ')}
  --status S   one of ${BUILD_STATUSES.slice(0, 5).join(', ')},
               ${BUILD_STATUSES.slice(5).join(', ')}
  --limit N    builds per page, 1 to ${MAX_BUILD_PAGE_SIZE} (default ${DEFAULT_BUILD_PAGE_SIZE})
  --page N     which page, from 1 (default 1)
  --json       print Drone's JSON instead of a table
`,
  options: {
    branch: { type: 'string' },
    event: { type: 'string' },
    status: { type: 'string' },
    limit: { type: 'string' },
    page: { type: 'string' },
    json: { type: 'boolean' },
  },
  positionals: ['OWNER/NAME'],
  async run({ values, positionals: [fullName = ''], usageError }, io) {
    const query: BuildListQuery = {
      branch: values.branch,
      event: values.event,
      status: values.status,
      limit: values.limit === undefined ? undefined : wholeNumber(values.limit),
      page: values.page === undefined ? undefined : wholeNumber(values.page),
    };
    // Every problem starts with the name of its field, which is the option's name here.
    const problem = buildListQueryProblem(query);
    if (problem !== null) return usageError(terminalText(`--${problem}`, 300));
    return withServices(io, async (services) => {
      const builds = await services.builds.list(LOCAL_ADMIN, fullName, query);
      io.stdout(values.json ? terminalJson(builds) : formatTable(builds));
      return 0;
    });
  },
});

const info = defineCommand({
  name: 'build info',
  args: 'OWNER/NAME NUMBER [--json]',
  summary: 'one build: where it came from, its stages and steps, and exactly what ran',
  details: "  --json   print Drone's JSON instead of text\n",
  options: { json: { type: 'boolean' } },
  positionals: ['OWNER/NAME', 'NUMBER'],
  async run({ values, positionals: [fullName = '', text = ''], usageError }, io) {
    const number = wholeNumber(text);
    if (!(number >= 1))
      return usageError(`NUMBER must be a build number (1, 2, …), not ${terminalText(text, 40)}`);
    return withServices(io, async (services) => {
      const build = await services.builds.info(LOCAL_ADMIN, fullName, number);
      io.stdout(values.json ? terminalJson(build) : formatDetail(build));
      return 0;
    });
  },
});

type BuildChange = (
  services: Services,
  fullName: string,
  number: number,
  stage?: number,
) => Promise<DroneBuildDetail>;

/** `build restart|cancel|approve|decline`: one build changed through the build service, the result printed. */
function changeCommand(spec: {
  action: string;
  summary: string;
  details: string;
  withStage: boolean;
  change: BuildChange;
  done: (build: DroneBuildDetail, number: number, fullName: string) => string;
}) {
  return defineCommand({
    name: `build ${spec.action}`,
    args: `OWNER/NAME NUMBER${spec.withStage ? ' [STAGE]' : ''} [--json]`,
    summary: spec.summary,
    details: `${spec.details}  --json   print Drone's JSON of the build afterwards instead of text\n`,
    options: { json: { type: 'boolean' } },
    positionals: ['OWNER/NAME', 'NUMBER', ...(spec.withStage ? ['[STAGE]'] : [])],
    async run({ values, positionals: [fullName = '', text = '', stageText], usageError }, io) {
      const number = wholeNumber(text);
      if (!(number >= 1))
        return usageError(`NUMBER must be a build number (1, 2, …), not ${terminalText(text, 40)}`);
      const stage = stageText === undefined ? undefined : wholeNumber(stageText);
      if (stage !== undefined && !(stage >= 1))
        return usageError(`STAGE must be a stage number (1, 2, …), not ${terminalText(stageText ?? '', 40)}`);
      return withServices(io, async (services) => {
        const build = await spec.change(services, fullName, number, stage);
        io.stdout(
          values.json
            ? terminalJson(build)
            : `${spec.done(build, number, terminalText(fullName, 200))}\n${formatStages(build)}`,
        );
        return 0;
      });
    },
  });
}

/** `build approve|decline`: the blocked stages of a build, or the one numbered STAGE. */
const decision = (verb: 'approve' | 'decline', summary: string, note: string) =>
  changeCommand({
    action: verb,
    summary: `${summary}: every blocked stage, or the one numbered STAGE`,
    details: `  STAGE    the stage's number, as \`build info\` lists them (default: every blocked stage)\n${note}`,
    withStage: true,
    change: (services, fullName, number, stage) =>
      services.builds[verb](LOCAL_ADMIN, fullName, number, stage),
    done: (build, number, name) => `build #${number} of ${name} ${verb}d; it is ${build.status} now`,
  });

const approve = decision('approve', 'let a build waiting for approval run', '');
const decline = decision(
  'decline',
  'refuse a build waiting for approval',
  '           Stages that wait on a declined one are skipped.\n',
);

const restart = changeCommand({
  action: 'restart',
  summary: 'run a build again as a new build: the same commit, pipeline file and changed files',
  details: `  The new build gets the next number and names the old one as its parent; it does not wait for approval.
`,
  withStage: false,
  change: (services, fullName, number) => services.builds.restart(LOCAL_ADMIN, fullName, number),
  done: (build, number, name) =>
    `build #${build.number} of ${name} restarts build #${number}; it is ${build.status}`,
});

const cancel = changeCommand({
  action: 'cancel',
  summary: 'stop a build that has not ended: it and its stages end killed, running containers are removed',
  details: `  The sidecar running a stage of it (this one or another on the same database) stops it within seconds.
`,
  withStage: false,
  change: (services, fullName, number) => services.builds.cancel(LOCAL_ADMIN, fullName, number),
  done: (build, number, name) => `build #${number} of ${name} cancelled; it is ${build.status}`,
});

/** `drone-gogs build …`: the builds of a repository, with Drone's CLI words. */
export const buildCommand = defineCommandGroup({
  name: 'build',
  summary: 'the builds of a repository',
  subcommands: { ls, info, approve, decline, restart, cancel },
});

function wholeNumber(text: string): number {
  return /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
}

/** One line per stage with its status: what an action changed. */
function formatStages(build: DroneBuildDetail): string {
  return build.stages
    .map(
      (stage) =>
        `  ${stage.number} ${terminalText(stage.name, 100)}: ${terminalText(stage.status, 30)}${stage.error === '' ? '' : ` (${terminalText(stage.error, 500)})`}\n`,
    )
    .join('');
}

function formatTable(builds: DroneBuild[]): string {
  if (builds.length === 0) return 'no builds\n';
  const rows = builds.map((build) => [
    String(build.number),
    terminalText(build.status, 30),
    terminalText(build.event, 20),
    terminalText(build.target, 40),
    terminalText(build.after.slice(0, 8), 8),
    terminalText(build.author_login, 24),
    time(build.created),
  ]);
  return textTable(['NUMBER', 'STATUS', 'EVENT', 'BRANCH', 'COMMIT', 'AUTHOR', 'CREATED'], rows);
}

function formatDetail(build: DroneBuildDetail): string {
  const fields: [string, string][] = [
    ['Number', String(build.number)],
    ['Status', terminalText(build.status, 30)],
    ['Event', terminalText(build.event, 20)],
    ['Action', terminalText(build.action, 40)],
    ['Ref', terminalText(build.ref, 200)],
    ['Before', terminalText(build.before, 80)],
    ['After', terminalText(build.after, 80)],
    ['Message', terminalText(build.message, 1000)],
    ['Author', terminalText(build.author_login, 100)],
    ['Sender', terminalText(build.sender, 100)],
    ['Error', terminalText(build.error, 2000)],
    ['Started', time(build.started)],
    ['Finished', time(build.finished)],
    ['Commit built', terminalText(build.provenance.commit, 80)],
    ['Pipeline file SHA-256', terminalText(build.provenance.config_sha256 || '-', 80)],
  ];
  const head = fields.map(([label, value]) => `${label}: ${value || '-'}\n`).join('');
  const stages =
    build.stages.length === 0
      ? 'Stages: none\n'
      : `Stages:\n${build.stages.map((stage) => formatStage(stage, build.provenance)).join('')}`;
  return head + stages;
}

/** A stage's line, its error, then its steps as a table with the image and the digest that ran. */
function formatStage(stage: DroneStage, provenance: BuildProvenance): string {
  const machine = stage.machine === '' ? '' : ` on ${terminalText(stage.machine, 100)}`;
  const head = `  ${stage.number} ${terminalText(stage.name, 100)}: ${terminalText(stage.status, 30)}${machine}\n`;
  const error = stage.error === '' ? '' : `    error: ${terminalText(stage.error, 2000)}\n`;
  if (stage.steps.length === 0) return `${head}${error}    no steps yet\n`;
  const digestOf = (number: number) =>
    provenance.steps.find((step) => step.stage === stage.number && step.number === number)?.digest ?? '';
  const rows = stage.steps.map((step) => [
    String(step.number),
    terminalText(step.name, 100),
    terminalText(step.status, 30),
    step.stopped === 0 ? '-' : String(step.exit_code),
    terminalText(step.image, 200),
    terminalText(digestOf(step.number) || '-', 200),
  ]);
  const steps = textTable(['STEP', 'NAME', 'STATUS', 'EXIT', 'IMAGE', 'DIGEST'], rows)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => `    ${line}\n`)
    .join('');
  return `${head}${error}${steps}`;
}

function time(seconds: number): string {
  return seconds === 0 ? '-' : `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}
