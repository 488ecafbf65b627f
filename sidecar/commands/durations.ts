const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90m`, `24h`, `30d` in milliseconds; null for anything else. */
export function durationMs(text: string): number | null {
  const match = /^(\d{1,6})([mhd])$/.exec(text);
  if (!match || Number(match[1]) === 0) return null;
  return Number(match[1]) * (UNIT_MS[match[2] ?? 'd'] ?? 0);
}
