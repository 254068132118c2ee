// In sdk/ because the Pulumi program reads manifest.json with the same checks, and infra/ never imports runtime/.
export { textOfFile } from "../../sdk/file-text.js";
