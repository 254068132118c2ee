/**
 * Normalises the cron forms the sdk accepts for croner: Quartz writes `?` for "no specific value"
 * in day-of-month or day-of-week, but croner reads `?` as "the value when the job was created",
 * which would pin a Quartz schedule to the day the process started; so `?` becomes `*`.
 * Nicknames (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`) pass through unchanged.
 * The compiler (validation) and the runtime (scheduling) share this so they always agree.
 */
export function normalizeCron(expression: string): string {
  const trimmed = expression.trim();
  if (trimmed.startsWith("@")) return trimmed;
  return trimmed
    .split(/\s+/)
    .map((field) => (field === "?" ? "*" : field))
    .join(" ");
}
