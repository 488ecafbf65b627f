/**
 * A step's environment at the moment it starts: the stage's variables minus those the step unsets, the step's
 * own, the variables only the runner knows (network, volume, live stage status; spec §7.12 "execution time"),
 * then the secrets it references.
 */
import type { PlanStage, PlanStep } from '../core/index.ts';

export interface LiveStageFacts {
  networkId: string;
  workspaceVolume: string;
  /** Unix seconds. */
  stageStarted: number;
  now: number;
  /** Steps failed so far whose failure is not ignored. */
  failedSteps: string[];
}

/** Secret lookup as Drone does it for repository secrets: names match case-insensitively; missing → empty. */
export function secretLookup(secrets: Readonly<Record<string, string>>): (name: string) => string {
  const byName = new Map<string, string>();
  for (const [name, value] of Object.entries(secrets)) byName.set(name.toLowerCase(), value);
  return (name) => byName.get(name.toLowerCase()) ?? '';
}

export function stepEnvironment(
  stage: PlanStage,
  step: PlanStep,
  facts: LiveStageFacts,
  secret: (name: string) => string,
): string[] {
  const failing = facts.failedSteps.length > 0;
  const shared = { ...stage.environment };
  for (const name of step.unsetVariables) delete shared[name];
  const environment: Record<string, string> = {
    ...shared,
    ...step.environment,
    DRONE_DOCKER_NETWORK_ID: facts.networkId,
    DRONE_DOCKER_VOLUME_ID: facts.workspaceVolume,
    DRONE_STAGE_STATUS: failing ? 'failure' : 'success',
    DRONE_STAGE_STARTED: String(facts.stageStarted),
    DRONE_STAGE_FINISHED: String(facts.now),
    DRONE_BUILD_STARTED: shared.DRONE_BUILD_STARTED ?? String(facts.stageStarted),
    DRONE_BUILD_FINISHED: String(facts.now),
  };
  if (failing) {
    environment.DRONE_BUILD_STATUS = 'failure';
    environment.DRONE_FAILED_STEPS = facts.failedSteps.join(',');
  } else environment.DRONE_BUILD_STATUS ??= 'success';
  const variables = Object.entries(environment).map(([name, value]) => `${name}=${value}`);
  // Secrets last, even when empty: Docker keeps the last duplicate, so a secret wins over a static value.
  for (const ref of step.secrets) variables.push(`${ref.env}=${secret(ref.secret)}`);
  return variables;
}
