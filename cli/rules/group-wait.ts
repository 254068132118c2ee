import { parseDuration } from "../../sdk/duration.js";
import { diagnostic } from "../compiler/diagnostic.js";
import type { Diagnostic } from "../compiler/types.js";
import type { RuleContext } from "./types.js";

/** Longer than this, a channel's groupWait is more likely a slip ("30m" for "30s") than a choice. */
export const GROUP_WAIT_WARN_MS = 5 * 60_000;

/**
 * A channel's `groupWait` holds back the first notification of every alert sent through it, pages
 * included: with `"30m"` the person on call hears of an outage half an hour late, and with a
 * value of days never in practice. Anything up to ten years passes the schema, so say it before
 * merge. A warning: a digest channel may mean it.
 */
export function groupWait(ctx: RuleContext): Diagnostic[] {
  return ctx.manifest.channels.flatMap((c) => {
    const ms = c.groupWait === null ? undefined : parseDuration(c.groupWait);
    if (ms === undefined || ms <= GROUP_WAIT_WARN_MS) return [];
    return [
      diagnostic(
        "warning",
        "group-wait",
        `channel "${c.id}": groupWait ${JSON.stringify(c.groupWait)} holds the first notification of every alert through it that long`,
        'use seconds for batching (such as "30s"), at most "5m"; for a digest, silence the rule in the config\'s rules',
        ctx.locate(c),
      ),
    ];
  });
}
