import type { Counters } from '../core/index.ts';

export function createCounters(): Counters {
  const values = new Map<string, { name: string; labels: Record<string, string>; value: number }>();
  return {
    increment(name, labels = {}, by = 1) {
      const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      const entry = values.get(key);
      if (entry) entry.value += by;
      else values.set(key, { name, labels: { ...labels }, value: by });
    },
    snapshot: () => [...values.values()].map((entry) => ({ ...entry, labels: { ...entry.labels } })),
  };
}

/** Prometheus text exposition of a counter snapshot. */
export function renderPrometheus(counters: Counters): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const { name, labels, value } of counters.snapshot().sort((a, b) => a.name.localeCompare(b.name))) {
    if (!seen.has(name)) {
      lines.push(`# TYPE ${name} counter`);
      seen.add(name);
    }
    const rendered = Object.entries(labels)
      .map(
        ([key, label]) =>
          `${key}="${label.replace(/["\\\n]/g, (char) => (char === '\n' ? '\\n' : `\\${char}`))}"`,
      )
      .join(',');
    lines.push(`${name}${rendered ? `{${rendered}}` : ''} ${value}`);
  }
  return `${lines.join('\n')}\n`;
}
