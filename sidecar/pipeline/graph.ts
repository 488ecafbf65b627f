/** Dependency graphs of steps within a pipeline and of pipelines within a file (spec §5, §7.4, §13). */

export interface GraphNode {
  name: string;
  dependsOn: readonly string[];
}

/** A dependency cycle as names (first repeated at the end), or null. Unknown names are ignored. */
export function findCycle(nodes: readonly GraphNode[]): string[] | null {
  const edges = new Map<string, readonly string[]>();
  for (const node of nodes) edges.set(node.name, node.dependsOn);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | null => {
    const seen = state.get(name);
    if (seen === 'done') return null;
    if (seen === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of edges.get(name) ?? []) {
      if (!edges.has(dependency)) continue;
      const cycle = visit(dependency);
      if (cycle !== null) return cycle;
    }
    stack.pop();
    state.set(name, 'done');
    return null;
  };
  for (const node of nodes) {
    const cycle = visit(node.name);
    if (cycle !== null) return cycle;
  }
  return null;
}

export interface PipelineVertex extends GraphNode {
  /** Filtered out by its trigger (or not run here): bypassed by its dependants. */
  skip: boolean;
}

/**
 * Drone's dag.Dependencies: a stage's dependencies with skipped pipelines replaced, recursively, by their own
 * dependencies, and unknown names dropped. Duplicates are kept, as Drone keeps them.
 */
export function effectiveDependencies(vertices: readonly PipelineVertex[], name: string): string[] {
  const byName = new Map<string, PipelineVertex>();
  for (const vertex of vertices) byName.set(vertex.name, vertex);
  const resolve = (vertex: PipelineVertex, seen: Set<string>): string[] => {
    const out: string[] = [];
    for (const dependency of vertex.dependsOn) {
      const parent = byName.get(dependency);
      if (parent === undefined || seen.has(dependency)) continue;
      if (parent.skip) out.push(...resolve(parent, new Set([...seen, dependency])));
      else out.push(parent.name);
    }
    return out;
  };
  const vertex = byName.get(name);
  return vertex === undefined ? [] : resolve(vertex, new Set([name]));
}

export interface OrderedStep {
  name: string;
  dependsOn: string[];
}

/**
 * Drone's step graph over `[clone] ++ services ++ steps` (spec order): when nothing declares depends_on, each
 * step waits for the previous one (serial mode); otherwise (graph mode) steps without depends_on wait for clone
 * only, or for nothing when cloning is disabled.
 */
export function orderSteps(specOrder: readonly GraphNode[], cloneEnabled: boolean): OrderedStep[] {
  const graphMode = specOrder.some((step) => step.dependsOn.length > 0);
  if (!graphMode) {
    return specOrder.map((step, index) => ({
      name: step.name,
      dependsOn: index === 0 ? [] : [specOrder[index - 1]?.name ?? ''],
    }));
  }
  if (cloneEnabled) {
    return specOrder.map((step) => ({
      name: step.name,
      dependsOn: step.name === 'clone' || step.dependsOn.length > 0 ? [...step.dependsOn] : ['clone'],
    }));
  }
  const userStepNamedClone = specOrder.some((step) => step.name === 'clone');
  return specOrder.map((step) => ({
    name: step.name,
    dependsOn:
      !userStepNamedClone && step.dependsOn.length === 1 && step.dependsOn[0] === 'clone'
        ? []
        : [...step.dependsOn],
  }));
}
