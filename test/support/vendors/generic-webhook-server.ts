import { RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";

/** A plain webhook receiver: permissive on purpose (a user's own endpoint has no schema); records JSON posts and answers 200 (faults aside). */
export class WebhookReceiver extends RecordingServer {
  protected answer(req: RecordedRequest): VendorAnswer {
    if (req.method !== "POST") return { status: 405, body: "method not allowed", problems: [`method ${req.method}`] };
    if (req.json === undefined) return { status: 400, body: "expected JSON", problems: ["body is not JSON"] };
    return { status: 200, body: { received: true } };
  }
}
