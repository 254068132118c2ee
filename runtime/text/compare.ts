/**
 * Orders strings by UTF-16 code units, as `<` does. For ids (kebab-case ASCII) it is the order
 * `localeCompare` gives, without ICU: a collator loads ICU's data into the process, about 2.7 MB
 * of resident memory for a runtime that sorts nothing but ids (docs/runtime.md, "Memory").
 */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
