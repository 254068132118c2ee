import type { MonitorSpec } from "../../sdk/manifest/schema.js";
import { escapeHtml } from "../notify/render.js";

export interface PageState {
  monitors: MonitorSpec[];
  title: string;
  /** Shown above the form, announced to screen readers. */
  error?: string;
  selected?: string;
  message?: string;
  /** The anti-forgery token the POST must carry back. */
  formToken: string;
}

const STYLE = `
  body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
  h1{font-size:1.6rem} label{display:block;font-weight:600;margin-top:1rem}
  input,select,textarea{width:100%;font:inherit;padding:.5rem;border:1px solid #555;border-radius:4px;box-sizing:border-box}
  textarea{min-height:8rem} .hint{color:#444;font-size:.9rem;margin:.25rem 0 0}
  button{margin-top:1.5rem;font:inherit;font-weight:600;padding:.75rem 1.5rem;background:#b00020;color:#fff;border:0;border-radius:4px;cursor:pointer}
  button:focus,input:focus,select:focus,textarea:focus{outline:3px solid #1a73e8;outline-offset:2px}
  .error{border-left:4px solid #b00020;padding:.5rem 1rem;background:#fdecee}
  .ok{border-left:4px solid #0b7a0b;padding:.5rem 1rem;background:#e9f6e9}`;

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** The emergency form: monitor (a select only when there are several), message, password. */
export function emergencyForm(state: PageState): string {
  const only = state.monitors.length === 1 ? state.monitors[0]! : null;
  const monitorField = only
    ? `<input type="hidden" name="monitor" value="${escapeHtml(only.id)}">`
    : `<label for="monitor">What is affected</label>
<select id="monitor" name="monitor" required>${state.monitors
        .map((m) => `<option value="${escapeHtml(m.id)}"${m.id === state.selected ? " selected" : ""}>${escapeHtml(m.check.kind === "manual" ? m.check.title || m.name : m.name)}</option>`)
        .join("")}</select>`;
  const heading = only && only.check.kind === "manual" && only.check.title ? only.check.title : state.title;
  const error = state.error ? `<div class="error" role="alert" id="form-error"><p>${escapeHtml(state.error)}</p></div>` : "";
  return layout(
    heading,
    `<h1>${escapeHtml(heading)}</h1>
<p>Use this form to page the on-call engineer now. Say what you see; they will get it with an automatic diagnosis.</p>
${error}
<form method="post" action="/emergency"${state.error ? ' aria-describedby="form-error"' : ""}>
<input type="hidden" name="form_token" value="${escapeHtml(state.formToken)}">
${monitorField}
<label for="message">What is happening</label>
<textarea id="message" name="message" required maxlength="2000" aria-describedby="message-hint">${escapeHtml(state.message ?? "")}</textarea>
<p class="hint" id="message-hint">For example: "Checkout shows an error page since 14:05".</p>
<label for="password">Emergency password</label>
<input id="password" name="password" type="password" required autocomplete="current-password">
<button type="submit">Page the on-call engineer</button>
</form>`,
  );
}

/** Shown after a press was recorded and the page queued. */
export function emergencyConfirmation(title: string, monitorName: string): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>
<div class="ok" role="status"><p>The on-call engineer is being paged about <strong>${escapeHtml(monitorName)}</strong>. You will receive an email when someone acknowledges.</p></div>
<p><a href="/emergency">Report something else</a></p>`,
  );
}

export function noEmergencyMonitors(): string {
  return layout("Emergency page", `<h1>Emergency page</h1><p>No emergency monitor is configured for this runtime.</p>`);
}
