/**
 * Secret masking as drone/runner-go's replacer does it: every line of every secret value (trimmed; parts shorter
 * than two characters ignored, as they would mask half the log) becomes `******`. Applied to single log lines,
 * which is why multi-line secrets are masked line by line.
 */
const MASK = '******';

export interface Masker {
  mask(text: string): string;
  /** Length of the longest masked part: a cut inside a line must keep this much minus one for the next piece. */
  longest: number;
}

export function createMasker(secretValues: Iterable<string>): Masker {
  const parts = new Set<string>();
  for (const value of secretValues) {
    for (const line of value.split('\n')) {
      const part = line.trim();
      if (part.length >= 2) parts.add(part);
    }
  }
  if (parts.size === 0) return { mask: (text) => text, longest: 0 };
  // Longest first, so that a secret containing another one is masked whole.
  const sorted = [...parts].sort((a, b) => b.length - a.length);
  const pattern = new RegExp(
    sorted.map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'),
    'g',
  );
  return { mask: (text) => text.replace(pattern, MASK), longest: sorted[0]?.length ?? 0 };
}
