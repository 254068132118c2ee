import { API_TOKEN_SECRET } from "../http/api-auth.js";
import { html } from "./html.js";
import { page, when } from "./layout.js";
import { matcherWords } from "./overview.js";
import { currentSilences, type ViewDeps } from "./view-model.js";

/**
 * `/silences`: what is muted, a form to mute more, a button to lift each API silence. The page's
 * script sends the form to `/api/silences` (JSON, same origin, the session cookie or nothing):
 * the silences API's own checks apply, and without the right token nothing changes.
 */
export async function renderSilencesPage(d: ViewDeps, signedIn: boolean, canWrite: boolean): Promise<string> {
  const now = d.clock.now();
  const silences = await currentSilences(d, now);
  const monitors = [...d.manifest.monitors].sort((a, b) => a.name.localeCompare(b.name));
  const fixed = html`<h1>Silences and maintenance</h1>
${canWrite
    ? html`<form id="silence-form" class="filters" aria-labelledby="new-h">
<h2 id="new-h" class="full">New silence</h2>
<div class="field"><label for="s-monitor">Monitors</label><select id="s-monitor" name="monitor" multiple size="4" aria-describedby="s-monitor-hint">${monitors.map((m) => html`<option value="${m.id}">${m.name}</option>`)}</select><small id="s-monitor-hint">Pick one or more, or give labels.</small></div>
<div class="field"><label for="s-labels">Labels</label><input id="s-labels" name="labels" placeholder="env=prod, region=eu" aria-describedby="s-labels-hint"><small id="s-labels-hint">name=value pairs, all must match.</small></div>
<div class="field"><label for="s-duration">Duration</label><select id="s-duration" name="duration"><option value="30m">30 minutes</option><option value="1h" selected>1 hour</option><option value="2h">2 hours</option><option value="4h">4 hours</option><option value="1d">1 day</option><option value="7d">7 days</option></select></div>
<div class="field"><label for="s-by">Your name</label><input id="s-by" name="createdBy" required autocomplete="name"></div>
<div class="field"><label for="s-comment">Reason</label><input id="s-comment" name="comment" required placeholder="Deploying the new checkout"></div>
<div class="field"><button type="submit" class="primary">Create silence</button></div>
<p role="status" aria-live="polite" class="muted"></p>
</form>`
    : html`<p class="notice">Creating and expiring silences needs the API token: set the ${API_TOKEN_SECRET} secret and sign in.</p>`}
${canWrite && !signedIn ? html`<p class="notice">The views are open to read; to create or expire a silence, <a href="/login?next=%2Fsilences">sign in</a> with the API token.</p>` : ""}`;
  const body = html`<section aria-labelledby="cur-h"><h2 id="cur-h">In force and scheduled</h2>
${silences.length === 0 ? html`<p class="muted">No silence or maintenance window is in force.</p>` : html`<div class="table-wrap"><table><thead><tr><th scope="col">What</th><th scope="col">Matches</th><th scope="col">When</th><th scope="col">Why, who</th><th scope="col"><span class="sr">Action</span></th></tr></thead><tbody>
${silences.map((s) => html`<tr class="silence"><th scope="row">${s.kind === "maintenance" ? "Maintenance" : "Silence"}<br><small><code>${s.id}</code></small></th><td>${matcherWords(s)}</td><td>${s.startsAt <= now ? "now" : when(s.startsAt)} until ${when(s.endsAt)}</td><td>${s.comment || "(no comment)"}<br><small>by ${s.createdBy}</small></td>
<td>${s.origin === "api" && canWrite ? html`<button type="button" data-expire="${s.id}" aria-label="Expire silence ${s.id}">Expire</button>` : s.origin === "manifest" ? html`<small>from the manifest</small>` : ""}</td></tr>`)}
</tbody></table></div>`}</section>`;
  return page({ title: "Silences", nav: { signedIn, current: "silences" }, live: "/events", fixed, body });
}
