import { CUT_MARKER, headWithin, truncatedMarker, wellFormed } from "../../../text/truncate.js";

/**
 * Escapes text for Slack mrkdwn as Slack documents
 * (https://api.slack.com/reference/surfaces/formatting#escaping): `&`, `<` and `>` become
 * entities, so alert text such as `<!channel>`, `<@U123>` or `<https://x|click>` shows as typed
 * instead of pinging a channel or hiding a link. Only the links we build ourselves stay live.
 */
export function slackEscape(text: string): string {
  return text.replace(/[&<>]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : "&gt;"));
}

/**
 * Escaped text within `max` characters. The cut is made after escaping (escaping lengthens
 * text) and never splits an entity, which Slack would show as a stray `&am`.
 * `marked` says how much was dropped, for long text such as diagnostics.
 */
export function slackText(raw: string, max: number, marked = false): string {
  const escaped = slackEscape(wellFormed(raw));
  if (escaped.length <= max) return escaped;
  const markerMax = marked ? truncatedMarker(escaped.length).length : CUT_MARKER.length;
  if (max < markerMax) return "";
  const head = headWithin(escaped, max - markerMax).replace(/&[a-z]{0,3}$/, "");
  return head + (marked ? truncatedMarker(escaped.length - head.length) : CUT_MARKER);
}
