import { headerValue, RecordingServer, type RecordedRequest, type VendorAnswer } from "./recording-server.js";

/**
 * A plain webhook receiver: permissive on purpose (a user's own endpoint has no schema); records JSON
 * posts and answers 200 (faults aside). With `basicAuth`, it answers 401 to a request without those
 * credentials in `Authorization: Basic` (RFC 7617), as a receiver behind basic authentication does.
 */
export class WebhookReceiver extends RecordingServer {
  constructor(private readonly options: { basicAuth?: { user: string; password: string } } = {}) {
    super();
  }

  protected answer(req: RecordedRequest): VendorAnswer {
    const auth = this.options.basicAuth;
    if (auth && headerValue(req, "authorization") !== `Basic ${Buffer.from(`${auth.user}:${auth.password}`, "utf8").toString("base64")}`) {
      return { status: 401, body: "unauthorized", problems: ["missing or wrong basic authentication"] };
    }
    if (req.method !== "POST") return { status: 405, body: "method not allowed", problems: [`method ${req.method}`] };
    if (req.json === undefined) return { status: 400, body: "expected JSON", problems: ["body is not JSON"] };
    return { status: 200, body: { received: true } };
  }
}
