/**
 * Orders strings by UTF-16 code units, as `<` does. For ids (kebab-case ASCII) it is the order
 * `localeCompare` gives, without ICU: the first `localeCompare` in an idle node process makes
 * 2.7 MB of the binary's ICU data resident, for a runtime that sorts nothing but ids
 * (docs/runtime.md, "Memory and CPU").
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
