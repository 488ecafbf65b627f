/**
 * Settings that reach the host, allowed for trusted repositories only (drone-runner-docker's linter): a step of
 * an untrusted repository using one of them makes the stage an error before any container is created.
 * pipeline/ lints the same rules; the runner checks again because plans may come from anywhere. Docker-in-Docker
 * plugins the admin lists run privileged for every repository, as on Drone ({@link PlanStep.autoPrivileged}).
 */
import type { PlanStage, PlanStep } from '../core/index.ts';

function stepViolations(step: PlanStep, stage: PlanStage): string[] {
  const found: string[] = [];
  if (step.privileged && !step.autoPrivileged) found.push('privileged');
  if (step.networkMode !== '') found.push('network_mode');
  if (step.dns.length > 0) found.push('dns');
  if (step.dnsSearch.length > 0) found.push('dns_search');
  if (step.extraHosts.length > 0) found.push('extra_hosts');
  if (step.devices.length > 0) found.push('devices');
  if (step.resources.shmSize > 0) found.push('shm_size');
  for (const mount of step.volumes) {
    const volume = stage.volumes.find((candidate) => candidate.name === mount.name);
    if (volume?.kind === 'host') {
      found.push(
        volume.hostPath.endsWith('docker.sock')
          ? `the docker socket (${volume.hostPath})`
          : `host volume ${volume.hostPath}`,
      );
    }
    if (volume?.kind === 'temp' && volume.medium === 'memory') found.push(`in-memory volume ${volume.name}`);
  }
  return found;
}

/** One message per offending step, e.g. `step "build" uses privileged, host volume /var/run/docker.sock`. */
export function untrustedSettings(stage: PlanStage): string[] {
  return stage.steps.flatMap((step) => {
    if (step.runPolicy === 'never') return [];
    const found = stepViolations(step, stage);
    return found.length === 0 ? [] : [`${step.role} "${step.name}" uses ${found.join(', ')}`];
  });
}
