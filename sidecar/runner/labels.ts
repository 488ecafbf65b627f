/** The labels on every container, network and volume the Docker runner creates, and filters to find them again. */
import type { ResourceSelector, StageRunIds } from '../core/index.ts';

const LABEL_PREFIX = 'io.drone-gogs';
export const INSTANCE_LABEL = `${LABEL_PREFIX}.instance`;
const REPO_LABEL = `${LABEL_PREFIX}.repo`;
const BUILD_LABEL = `${LABEL_PREFIX}.build`;
const STAGE_LABEL = `${LABEL_PREFIX}.stage`;
export const STEP_LABEL = `${LABEL_PREFIX}.step`;
/** On step containers: the network they were made on, which a spare network's own labels do not tie to a stage. */
export const NETWORK_LABEL = `${LABEL_PREFIX}.network`;
const SPARE_LABEL = `${LABEL_PREFIX}.spare`;

export function stageLabels(ids: StageRunIds): Record<string, string> {
  return {
    [INSTANCE_LABEL]: ids.instance,
    [REPO_LABEL]: ids.repo,
    [BUILD_LABEL]: ids.build,
    [STAGE_LABEL]: ids.stage,
  };
}

export function stepLabels(ids: StageRunIds, step: string): Record<string, string> {
  return { ...stageLabels(ids), [STEP_LABEL]: step };
}

/** A network made before its stage is known: its instance's, with empty stage ids (see stage-networks.ts). */
export function spareNetworkLabels(instance: string): Record<string, string> {
  return { ...stageLabels({ instance, repo: '', build: '', stage: '' }), [SPARE_LABEL]: 'true' };
}

/** Docker's `label` filter for the selector; an empty selector matches everything this runner labelled. */
export function labelFilter(selector: ResourceSelector): { label: string[] } {
  const label = [INSTANCE_LABEL];
  if (selector.instance !== undefined) label.push(`${INSTANCE_LABEL}=${selector.instance}`);
  if (selector.repo !== undefined) label.push(`${REPO_LABEL}=${selector.repo}`);
  if (selector.build !== undefined) label.push(`${BUILD_LABEL}=${selector.build}`);
  if (selector.stage !== undefined) label.push(`${STAGE_LABEL}=${selector.stage}`);
  return { label };
}

export function selectorOf(ids: StageRunIds): ResourceSelector {
  return { instance: ids.instance, repo: ids.repo, build: ids.build, stage: ids.stage };
}

/** The stage ids a labelled resource carries ('' for one it lacks); null without an instance. */
export function stageIdsOf(labels: Readonly<Record<string, string>> | undefined): StageRunIds | null {
  const instance = labels?.[INSTANCE_LABEL];
  if (instance === undefined) return null;
  return {
    instance,
    repo: labels?.[REPO_LABEL] ?? '',
    build: labels?.[BUILD_LABEL] ?? '',
    stage: labels?.[STAGE_LABEL] ?? '',
  };
}
