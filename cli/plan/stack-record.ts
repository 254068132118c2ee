import { DeployFailure } from "../../infra/automation/deploy-failure.js";
import type { DeployedRecord } from "../../infra/automation/deployed-record.js";
import type { ReadDeployedOptions } from "../../infra/automation/read-deployed.js";
import { EXIT, UserError } from "../errors.js";

/** Reads what the stack records as deployed; a stack Pulumi cannot open is a finding with its hint. */
export async function readStackRecord(read: (options: ReadDeployedOptions) => Promise<DeployedRecord>, options: ReadDeployedOptions): Promise<DeployedRecord> {
  try {
    return await read(options);
  } catch (error) {
    if (error instanceof DeployFailure) throw new UserError(error.message, EXIT.findings, error.hint);
    throw error;
  }
}
