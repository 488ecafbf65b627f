/**
 * Checks beyond what reading the YAML already found, as a table of small named rules (STYLE habit 5). Errors are
 * what Drone's server linter (drone-yaml) or runner linter (drone-runner-docker) reject, plus patterns that can
 * never match; warnings are what Drone accepts but silently ignores.
 */
import {
  CONDITION_KEYS,
  type Conditions,
  isDockerType,
  isPipeline,
  type ParsedDocument,
  type Pipeline,
  type Step,
} from './document.ts';
import { globSyntaxError } from './glob.ts';
import { findCycle } from './graph.ts';
import type { ParsedFile } from './parse.ts';
import { type Problem, type Severity, sortProblems } from './problems.ts';
import { substitute } from './substitute.ts';

export interface LintOptions {
  /** Trusted repositories may use privileged mode, host volumes, network_mode and the like. */
  trusted: boolean;
}

interface LintRule {
  name: string;
  /** `file` rules relate documents to each other; `pipeline` rules look at one pipeline at a time. */
  scope: 'file' | 'pipeline';
  check: (file: ParsedFile, options: LintOptions) => Problem[];
}

interface DockerPipeline {
  document: ParsedDocument;
  pipeline: Pipeline;
}

const SUPPORTED_OS = new Set(['linux', 'windows']);
const SUPPORTED_ARCH = new Set(['arm', 'arm64', 'amd64', 'ppc64le', 's390x']);
const RESERVED_VOLUMES = new Set(['workspace', '_workspace', '_docker_socket']);
const KNOWN_EVENTS = new Set(['push', 'pull_request', 'tag', 'promote', 'rollback', 'cron', 'custom']);
const KNOWN_FAILURE = new Set(['', 'ignore', 'fast', 'fast-fail', 'fail-fast', 'fail', 'always']);
const KNOWN_PULL = new Set(['', 'default', 'always', 'if-not-exists', 'never']);
const MAX_STEP_NAME = 100;

function at(
  document: ParsedDocument,
  path: string,
  severity: Severity,
  rule: string,
  message: string,
): Problem {
  return { severity, rule, message, ...document.positionOf(path), path, document: document.index };
}

function dockerPipelines(file: ParsedFile): DockerPipeline[] {
  return file.documents.flatMap((document) =>
    isPipeline(document.resource) && isDockerType(document.resource)
      ? [{ document, pipeline: document.resource }]
      : [],
  );
}

/** Self-dependencies have their own message; cycles are reported for longer loops only. */
function withoutSelfDependency(node: { name: string; dependsOn: string[] }): {
  name: string;
  dependsOn: string[];
} {
  return { name: node.name, dependsOn: node.dependsOn.filter((dependency) => dependency !== node.name) };
}

function describePipeline(pipeline: Pipeline): string {
  return pipeline.name === '' ? 'the unnamed pipeline' : `pipeline "${pipeline.name}"`;
}

/** Steps in Drone's spec order (services first), each with its path in the document. */
function containers(pipeline: Pipeline): { step: Step; path: string; role: 'service' | 'step' }[] {
  return [
    ...pipeline.services.map((step, index) => ({
      step,
      path: `services[${index}]`,
      role: 'service' as const,
    })),
    ...pipeline.steps.map((step, index) => ({ step, path: `steps[${index}]`, role: 'step' as const })),
  ];
}

const pipelineNames: LintRule = {
  name: 'pipeline-names',
  scope: 'file',
  check: (file) => {
    const problems: Problem[] = [];
    const seen = new Map<string, ParsedDocument>();
    for (const document of file.documents) {
      if (!isPipeline(document.resource)) continue;
      const name = document.resource.name;
      const first = seen.get(name);
      if (first !== undefined) {
        const where = first.positionOf(name === '' ? 'kind' : 'name').line;
        problems.push(
          at(
            document,
            name === '' ? 'kind' : 'name',
            'error',
            'duplicate-pipeline-name',
            name === ''
              ? `two pipelines without a name (the other is on line ${where}); give each a unique name`
              : `duplicate pipeline name "${name}" (also on line ${where})`,
          ),
        );
      } else seen.set(name, document);
    }
    return problems;
  },
};

const pipelineDependencies: LintRule = {
  name: 'pipeline-dependencies',
  scope: 'file',
  check: (file) => {
    const problems: Problem[] = [];
    const pipelines = file.documents.flatMap((document) =>
      isPipeline(document.resource) ? [{ document, pipeline: document.resource }] : [],
    );
    const declared = new Set<string>();
    const all = new Set(pipelines.map(({ pipeline }) => pipeline.name));
    for (const { document, pipeline } of pipelines) {
      declared.add(pipeline.name);
      pipeline.dependsOn.forEach((dependency, index) => {
        const path = `depends_on[${index}]`;
        if (dependency === pipeline.name) {
          problems.push(
            at(
              document,
              path,
              'error',
              'pipeline-self-dependency',
              `${describePipeline(pipeline)} depends on itself`,
            ),
          );
        } else if (!all.has(dependency)) {
          problems.push(
            at(
              document,
              path,
              'error',
              'unknown-pipeline-dependency',
              `depends_on names an unknown pipeline "${dependency}"`,
            ),
          );
        } else if (!declared.has(dependency)) {
          problems.push(
            at(
              document,
              path,
              'error',
              'later-pipeline-dependency',
              `depends_on names pipeline "${dependency}", which is declared later; Drone only accepts earlier pipelines`,
            ),
          );
        }
      });
    }
    const cycle = findCycle(pipelines.map(({ pipeline }) => withoutSelfDependency(pipeline)));
    const first = pipelines.find(({ pipeline }) => pipeline.name === cycle?.[0]);
    if (cycle !== null && first !== undefined) {
      problems.push(
        at(
          first.document,
          'depends_on',
          'error',
          'pipeline-cycle',
          `pipeline dependency cycle: ${cycle.join(' -> ')}`,
        ),
      );
    }
    return problems;
  },
};

const ignoredPipelines: LintRule = {
  name: 'ignored-pipelines',
  scope: 'file',
  check: (file) =>
    file.documents.flatMap((document) => {
      const resource = document.resource;
      if (!isPipeline(resource) || isDockerType(resource)) return [];
      return [
        at(
          document,
          'type',
          'warning',
          'ignored-pipeline-type',
          `${describePipeline(resource)} has type "${resource.type}": only docker pipelines run here, so it is ignored`,
        ),
      ];
    }),
};

const platform: LintRule = {
  name: 'platform',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) => {
      const problems: Problem[] = [];
      const { os, arch } = pipeline.platform;
      if (os !== '' && !SUPPORTED_OS.has(os)) {
        problems.push(
          at(document, 'platform.os', 'error', 'unsupported-os', `unsupported os "${os}" (linux or windows)`),
        );
      }
      if (arch !== '' && !SUPPORTED_ARCH.has(arch)) {
        problems.push(
          at(
            document,
            'platform.arch',
            'error',
            'unsupported-arch',
            `unsupported architecture "${arch}" (${[...SUPPORTED_ARCH].join(', ')})`,
          ),
        );
      }
      return problems;
    }),
};

const stepNames: LintRule = {
  name: 'step-names',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) => {
      const problems: Problem[] = [];
      const seen = new Map<string, string>();
      if (!pipeline.clone.disable) seen.set('clone', 'the clone step');
      for (const { step, path, role } of containers(pipeline)) {
        if (step.name === '') {
          problems.push(at(document, path, 'error', 'missing-step-name', `a ${role} needs a name`));
          continue;
        }
        if (step.name.length > MAX_STEP_NAME) {
          problems.push(
            at(
              document,
              `${path}.name`,
              'error',
              'step-name-too-long',
              `step names are limited to ${MAX_STEP_NAME} characters`,
            ),
          );
        }
        const previous = seen.get(step.name);
        if (previous !== undefined) {
          problems.push(
            at(
              document,
              `${path}.name`,
              'error',
              'duplicate-step-name',
              `duplicate step name "${step.name}" (same as ${previous})`,
            ),
          );
        } else seen.set(step.name, `the ${role} on line ${document.positionOf(`${path}.name`).line}`);
      }
      return problems;
    }),
};

const stepImages: LintRule = {
  name: 'step-images',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) =>
      containers(pipeline).flatMap(({ step, path, role }) =>
        step.image === ''
          ? [at(document, path, 'error', 'missing-image', `${role} "${step.name}" has no image`)]
          : [],
      ),
    ),
};

const stepDependencies: LintRule = {
  name: 'step-dependencies',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) => {
      const problems: Problem[] = [];
      const all = containers(pipeline);
      const names = new Set(all.map(({ step }) => step.name));
      const earlier = new Set<string>(pipeline.clone.disable ? [] : ['clone']);
      for (const { step, path } of all) {
        step.dependsOn.forEach((dependency, index) => {
          const dependencyPath = `${path}.depends_on[${index}]`;
          if (dependency === step.name) {
            problems.push(
              at(
                document,
                dependencyPath,
                'error',
                'step-self-dependency',
                `step "${step.name}" depends on itself`,
              ),
            );
          } else if (!earlier.has(dependency)) {
            const later = names.has(dependency);
            problems.push(
              at(
                document,
                dependencyPath,
                'error',
                later ? 'later-step-dependency' : 'unknown-step-dependency',
                later
                  ? `step "${step.name}" depends on "${dependency}", which is declared later; Drone only accepts earlier steps`
                  : `step "${step.name}" depends on unknown step "${dependency}"`,
              ),
            );
          }
        });
        earlier.add(step.name);
      }
      const cycle = findCycle(all.map(({ step }) => withoutSelfDependency(step)));
      if (cycle !== null) {
        const first = all.find(({ step }) => step.name === cycle[0]);
        problems.push(
          at(
            document,
            first?.path ?? 'steps',
            'error',
            'step-cycle',
            `step dependency cycle: ${cycle.join(' -> ')}`,
          ),
        );
      }
      return problems;
    }),
};

/** What untrusted repositories may not use (drone-runner-docker linter), field by field. */
const TRUSTED_ONLY_STEP_SETTINGS: readonly { field: string; uses: (step: Step) => boolean; what: string }[] =
  [
    { field: 'privileged', uses: (step) => step.privileged, what: 'enable privileged mode' },
    { field: 'devices', uses: (step) => step.devices.length > 0, what: 'mount devices' },
    { field: 'dns', uses: (step) => step.dns.length > 0, what: 'configure dns' },
    { field: 'dns_search', uses: (step) => step.dnsSearch.length > 0, what: 'configure dns_search' },
    { field: 'extra_hosts', uses: (step) => step.extraHosts.length > 0, what: 'configure extra_hosts' },
    { field: 'network_mode', uses: (step) => step.networkMode !== '', what: 'configure network_mode' },
    { field: 'shm_size', uses: (step) => step.shmSize > 0, what: 'configure shm_size' },
  ];

const trustedSettings: LintRule = {
  name: 'trusted-settings',
  scope: 'pipeline',
  check: (file, options) => {
    if (options.trusted) return [];
    return dockerPipelines(file).flatMap(({ document, pipeline }) => {
      const problems: Problem[] = [];
      for (const { step, path } of containers(pipeline)) {
        for (const setting of TRUSTED_ONLY_STEP_SETTINGS) {
          if (setting.uses(step)) {
            problems.push(
              at(
                document,
                `${path}.${setting.field}`,
                'error',
                'untrusted-repository',
                `untrusted repositories cannot ${setting.what}`,
              ),
            );
          }
        }
      }
      pipeline.volumes.forEach((volume, index) => {
        if (volume.host !== null) {
          problems.push(
            at(
              document,
              `volumes[${index}].host`,
              'error',
              'untrusted-repository',
              'untrusted repositories cannot mount host volumes',
            ),
          );
        }
        if (volume.temp?.medium === 'memory') {
          problems.push(
            at(
              document,
              `volumes[${index}].temp`,
              'error',
              'untrusted-repository',
              'untrusted repositories cannot mount in-memory volumes',
            ),
          );
        }
      });
      return problems;
    });
  },
};

const volumes: LintRule = {
  name: 'volumes',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) => {
      const problems: Problem[] = [];
      const declared = new Map(pipeline.volumes.map((volume) => [volume.name, volume]));
      pipeline.volumes.forEach((volume, index) => {
        const path = `volumes[${index}]`;
        if (RESERVED_VOLUMES.has(volume.name)) {
          problems.push(
            at(
              document,
              `${path}.name`,
              'error',
              'reserved-volume-name',
              `volume name "${volume.name}" is reserved`,
            ),
          );
        }
        if (volume.temp === null && volume.host === null) {
          problems.push(
            at(
              document,
              path,
              'warning',
              'empty-volume',
              `volume "${volume.name}" has neither temp nor host; Drone skips it`,
            ),
          );
        }
      });
      for (const { step, path } of containers(pipeline)) {
        step.volumes.forEach((mount, index) => {
          const mountPath = `${path}.volumes[${index}]`;
          if (RESERVED_VOLUMES.has(mount.name)) {
            problems.push(
              at(
                document,
                `${mountPath}.name`,
                'error',
                'reserved-volume-name',
                `volume name "${mount.name}" is reserved`,
              ),
            );
          } else if (!declared.has(mount.name)) {
            problems.push(
              at(
                document,
                `${mountPath}.name`,
                'warning',
                'unknown-volume',
                `step "${step.name}" mounts volume "${mount.name}", which the pipeline does not declare; Drone skips the mount`,
              ),
            );
          }
          if (mount.path === '/run/drone' || mount.path.startsWith('/run/drone/')) {
            problems.push(
              at(
                document,
                `${mountPath}.path`,
                'error',
                'restricted-mount-path',
                'mounts under /run/drone are reserved',
              ),
            );
          }
        });
        step.devices.forEach((device, index) => {
          const volume = declared.get(device.name);
          if (volume?.host === undefined || volume.host === null || !volume.host.path.startsWith('/dev/')) {
            problems.push(
              at(
                document,
                `${path}.devices[${index}].name`,
                'warning',
                'device-volume',
                `device "${device.name}" must name a host volume under /dev/; Drone skips it otherwise`,
              ),
            );
          }
        });
      }
      return problems;
    }),
};

function conditionProblems(document: ParsedDocument, conditions: Conditions, path: string): Problem[] {
  const problems: Problem[] = [];
  for (const key of CONDITION_KEYS) {
    const condition = conditions[key];
    for (const list of ['include', 'exclude'] as const) {
      for (const pattern of condition[list]) {
        const patternPath = `${path}.${key}`;
        const syntax = globSyntaxError(pattern);
        if (syntax !== null) {
          problems.push(
            at(
              document,
              patternPath,
              'error',
              'bad-glob',
              `${key} pattern "${pattern}" is malformed (${syntax}); it can never match`,
            ),
          );
        } else if (key === 'event' && !/[*?[{\\]/.test(pattern) && !KNOWN_EVENTS.has(pattern)) {
          problems.push(
            at(
              document,
              patternPath,
              'warning',
              'unknown-event',
              `unknown event "${pattern}" (${[...KNOWN_EVENTS].join(', ')})`,
            ),
          );
        } else if (
          key === 'status' &&
          pattern !== 'success' &&
          pattern !== 'failure' &&
          !/[*?[{\\]/.test(pattern)
        ) {
          problems.push(
            at(
              document,
              patternPath,
              'warning',
              'unknown-status',
              `status "${pattern}" is neither success nor failure; Drone ignores it`,
            ),
          );
        }
      }
    }
  }
  return problems;
}

const conditions: LintRule = {
  name: 'conditions',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) => [
      ...conditionProblems(document, pipeline.trigger, 'trigger'),
      ...containers(pipeline).flatMap(({ step, path }) =>
        conditionProblems(document, step.when, `${path}.when`),
      ),
    ]),
};

const stepPolicies: LintRule = {
  name: 'step-policies',
  scope: 'pipeline',
  check: (file) =>
    dockerPipelines(file).flatMap(({ document, pipeline }) =>
      containers(pipeline).flatMap(({ step, path }) => {
        const problems: Problem[] = [];
        if (!KNOWN_FAILURE.has(step.failure)) {
          problems.push(
            at(
              document,
              `${path}.failure`,
              'warning',
              'unknown-failure',
              `failure: "${step.failure}" is not ignore or fast; the step fails normally`,
            ),
          );
        }
        if (!KNOWN_PULL.has(step.pull.toLowerCase())) {
          problems.push(
            at(
              document,
              `${path}.pull`,
              'warning',
              'unknown-pull',
              `pull: "${step.pull}" is not always, if-not-exists or never; the default applies`,
            ),
          );
        }
        return problems;
      }),
    ),
};

/** `${...}` is substituted in the whole file before parsing; a syntax error fails every stage. */
const substitutionSyntax: LintRule = {
  name: 'substitution-syntax',
  scope: 'file',
  check: (file) => {
    const result = substitute(file.text, {});
    if (result.ok) return [];
    const before = file.text.slice(0, result.offset);
    const line = before.split('\n').length;
    const col = result.offset - (before.lastIndexOf('\n') + 1) + 1;
    return [
      {
        severity: 'error',
        rule: 'bad-substitution',
        message: `\${...} substitution fails here (${result.error}); write $\${...} or $$ for a literal dollar`,
        line,
        col,
      },
    ];
  },
};

export const LINT_RULES: readonly LintRule[] = [
  pipelineNames,
  pipelineDependencies,
  ignoredPipelines,
  platform,
  stepNames,
  stepImages,
  stepDependencies,
  trustedSettings,
  volumes,
  conditions,
  stepPolicies,
  substitutionSyntax,
];

/** Every problem of the file: those found while reading plus the lint rules', sorted by position. */
export function lintPipelineFile(file: ParsedFile, options: LintOptions): Problem[] {
  if (file.documents.length === 0) return sortProblems(file.problems);
  return sortProblems([...file.problems, ...LINT_RULES.flatMap((rule) => rule.check(file, options))]);
}

/** Problems of one document on its own (reading plus the per-pipeline rules): a pipeline after substitution. */
export function lintDocument(
  document: ParsedDocument,
  readProblems: readonly Problem[],
  options: LintOptions,
): Problem[] {
  const file: ParsedFile = { fileName: '', text: '', documents: [document], problems: [...readProblems] };
  const rules = LINT_RULES.filter((rule) => rule.scope === 'pipeline');
  return sortProblems([...readProblems, ...rules.flatMap((rule) => rule.check(file, options))]);
}
