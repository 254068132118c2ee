import { describe, expect, it } from "vitest";
import { humanize, humanize1024, humanizeDuration, humanizePercentage } from "./humanize.js";

// Expected strings are what Prometheus's template functions print for the same values
// (template.go: humanize, humanize1024, humanizePercentage, humanizeDuration, all with %.4g).
describe("Prometheus's template formatters", () => {
  it("humanize uses SI prefixes and four significant digits", () => {
    expect(humanize(1234567)).toBe("1.235M");
    expect(humanize(12345.678)).toBe("12.35k");
    expect(humanize(999)).toBe("999");
    expect(humanize(0.0012)).toBe("1.2m");
    expect(humanize(0.5)).toBe("500m");
    expect(humanize(0.00001234)).toBe("12.34u");
    expect(humanize(0)).toBe("0");
    expect(humanize(1e30)).toBe("1e+06Y");
    expect(humanize(null)).toBe("n/a");
  });

  it("humanize1024 uses binary prefixes above 1", () => {
    expect(humanize1024(1048576)).toBe("1Mi");
    expect(humanize1024(1536)).toBe("1.5ki");
    expect(humanize1024(0.5)).toBe("0.5");
  });

  it("humanizePercentage multiplies by 100", () => {
    expect(humanizePercentage(0.1234)).toBe("12.34%");
    expect(humanizePercentage(0.05)).toBe("5%");
    expect(humanizePercentage(1)).toBe("100%");
  });

  it("humanizeDuration reads seconds as days, hours, minutes and seconds, or sub-second units", () => {
    expect(humanizeDuration(93784)).toBe("1d 2h 3m 4s");
    expect(humanizeDuration(3723)).toBe("1h 2m 3s");
    expect(humanizeDuration(61)).toBe("1m 1s");
    expect(humanizeDuration(1.5)).toBe("1.5s");
    expect(humanizeDuration(0.25)).toBe("250ms");
    expect(humanizeDuration(0)).toBe("0s");
    expect(humanizeDuration(-61)).toBe("-1m 1s");
  });
});
