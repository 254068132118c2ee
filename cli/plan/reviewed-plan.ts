import { EXIT, UserError } from "../errors.js";
import type { PlanDocument } from "./plan-document.js";

/**
 * Checks of `wk deploy --plan` that need no stack: the plan is this project's, and the manifest
 * compiled from the commit being deployed is the one the plan was made for.
 */
export function refuseOtherTarget(doc: PlanDocument, path: string, project: string, targetHash: string): void {
  if (doc.project !== project) {
    throw new UserError(
      `the plan ${path} is for project ${JSON.stringify(doc.project)}, this is ${JSON.stringify(project)}; nothing was deployed`,
      EXIT.findings,
      "deploy the plan made in this repository (check --project and the artifact you downloaded)",
    );
  }
  if (doc.target.hash !== targetHash) {
    throw new UserError(
      `this commit is not the one reviewed: it compiles to manifest ${targetHash}, the plan ${path} was made for ${doc.target.hash}; nothing was deployed`,
      EXIT.findings,
      "deploy the commit the plan was made from, or plan this commit (wk plan --out plan.json), review it, and deploy that plan",
    );
  }
}

/**
 * The check that needs the stack: the deployed manifest is still the plan's base. Otherwise someone
 * deployed meanwhile (or the base was never deployed), and the reviewed diff is not what would apply.
 */
export function refuseStaleBase(doc: PlanDocument, path: string, stackName: string, deployedHash: string | null): void {
  if (doc.base.kind === "stack" && doc.base.ref !== stackName) {
    throw new UserError(
      `the plan ${path} was made against stack ${doc.base.ref}, not ${stackName}; nothing was deployed`,
      EXIT.findings,
      `deploy with --stack ${doc.base.ref}, or plan against ${stackName} (wk plan --base-stack ${stackName} --out plan.json)`,
    );
  }
  if (doc.base.hash !== deployedHash) {
    throw new UserError(
      `the deployed manifest is no longer the plan's base: stack ${stackName} has ${deployedHash ?? "nothing deployed"}, the plan ${path} was made against ${doc.base.hash ?? "nothing deployed"}; nothing was deployed`,
      EXIT.findings,
      "someone deployed meanwhile (or the base was never deployed): re-run the plan against what is deployed, review it, and deploy that plan",
    );
  }
}
