/**
 * An integer setting from the environment: `fallback` when unset or blank, else the value,
 * which must be an integer of at least `min` (the process refuses to start otherwise).
 */
export function intFromEnv(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer of at least ${min}, got '${raw}'`);
  return value;
}
