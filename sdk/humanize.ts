/**
 * Prometheus's template formatters (`humanize`, `humanize1024`, `humanizePercentage`,
 * `humanizeDuration`) for summary functions, with the same output, so a summary imported from a
 * Prometheus rule reads as it did in Alertmanager. A missing value reads "n/a".
 */

/** Go's `%.4g`: four significant digits, trailing zeros dropped, exponent form outside 1e-4..1e4. */
function g4(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v === 0) return "0";
  const [mantissa, exp] = v.toExponential(3).split("e") as [string, string];
  const e = Number(exp);
  const strip = (s: string) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  if (e < -4 || e >= 4) return `${strip(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  return strip(Number(v.toPrecision(4)).toFixed(Math.max(0, 3 - e)));
}

/** 1234567 -> "1.235M", 0.0012 -> "1.2m" (SI prefixes, as Prometheus's `humanize`). */
export function humanize(value: number | null): string {
  if (value === null) return "n/a";
  let v = value;
  if (v === 0 || !Number.isFinite(v)) return g4(v);
  let prefix = "";
  if (Math.abs(v) >= 1) {
    for (const p of ["k", "M", "G", "T", "P", "E", "Z", "Y"]) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return g4(v) + prefix;
  }
  for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return g4(v) + prefix;
}

/** 1048576 -> "1Mi" (binary prefixes, as Prometheus's `humanize1024`). */
export function humanize1024(value: number | null): string {
  if (value === null) return "n/a";
  let v = value;
  if (Math.abs(v) <= 1 || !Number.isFinite(v)) return g4(v);
  let prefix = "";
  for (const p of ["ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"]) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return g4(v) + prefix;
}

/** 0.1234 -> "12.34%" (as Prometheus's `humanizePercentage`). */
export function humanizePercentage(value: number | null): string {
  return value === null ? "n/a" : `${g4(value * 100)}%`;
}

/** Seconds as "1d 2h 3m 4s", "1.5s" or "250ms" (as Prometheus's `humanizeDuration`). */
export function humanizeDuration(value: number | null): string {
  if (value === null) return "n/a";
  let v = value;
  if (!Number.isFinite(v)) return g4(v);
  if (v === 0) return `${g4(v)}s`;
  if (Math.abs(v) >= 1) {
    const sign = v < 0 ? "-" : "";
    v = Math.abs(v);
    const total = Math.trunc(v);
    const seconds = total % 60;
    const minutes = Math.trunc(total / 60) % 60;
    const hours = Math.trunc(total / 3600) % 24;
    const days = Math.trunc(total / 86_400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${g4(v)}s`;
  }
  let prefix = "";
  for (const p of ["m", "u", "n", "p", "f", "a", "z", "y"]) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${g4(v)}${prefix}s`;
}
