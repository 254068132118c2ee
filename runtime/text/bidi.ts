/**
 * Unicode's directional embeddings, overrides and isolates (LRE, RLE, PDF, LRO, RLO, LRI, RLI,
 * FSI, PDI). One in a monitor name, a summary or an agent's name reorders the text shown after it
 * on the same line (an RLO makes "kO" of "Ok", and a monitor's name can flip the state beside it),
 * so people would read something other than what is there. Arabic and Hebrew text needs none of
 * them (the bidirectional algorithm orders it), and the marks LRM, RLM and ALM, which steer only
 * the characters next to them, are kept.
 */
const DIRECTIONAL_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;

/** Text without directional embeddings, overrides and isolates, for pages, emails and Markdown. */
export function withoutDirectionalControls(text: string): string {
  return text.replace(DIRECTIONAL_CONTROLS, "");
}
