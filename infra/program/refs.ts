import type * as pulumi from "@pulumi/pulumi";

/** PagerDuty ids of what the program declared so far, by manifest id; later resources refer through it. */
export class Refs {
  readonly users = new Map<string, pulumi.Output<string>>();
  readonly teams = new Map<string, pulumi.Output<string>>();
  readonly schedules = new Map<string, pulumi.Output<string>>();
  readonly escalationPolicies = new Map<string, pulumi.Output<string>>();
  readonly services = new Map<string, pulumi.Output<string>>();

  /** The id of a declared object; a dangling reference is a compiler bug, so it throws. */
  static get(map: Map<string, pulumi.Output<string>>, kind: string, id: string): pulumi.Output<string> {
    const ref = map.get(id);
    if (!ref) throw new Error(`manifest refers to unknown ${kind} ${JSON.stringify(id)}`);
    return ref;
  }
}
