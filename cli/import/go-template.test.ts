import { describe, expect, it } from "vitest";
import { asTemplate, asTemplateLiteral, needsFunction, templateProblem, translateTemplate } from "./go-template.js";

describe("Prometheus annotation templates", () => {
  it("labels and the value in every spelling become the summary syntax", () => {
    const t = translateTemplate('{{ $labels.instance }} / {{ .Labels.job }} / {{ index $labels "pod" }} = {{ $value }} ({{.Value}})');
    expect(t.dropped).toEqual([]);
    expect(t.controlFlow).toBeNull();
    expect(asTemplate(t.parts)).toBe("{{labels.instance}} / {{labels.job}} / {{labels.pod}} = {{value}} ({{value}})");
    expect(needsFunction(t.parts)).toBe(false);
  });

  it("formatters on the value, as calls or pipelines, need a summary function", () => {
    const t = translateTemplate('{{ humanize $value }} {{ $value | humanizePercentage }} {{ printf "%.2f" $value }} {{ $value | printf "%.1f" }}');
    expect(needsFunction(t.parts)).toBe(true);
    expect(asTemplateLiteral(t.parts)).toBe(
      '`${humanize(result.value)} ${humanizePercentage(result.value)} ${result.value === null ? "n/a" : result.value.toFixed(2)} ${result.value === null ? "n/a" : result.value.toFixed(1)}`',
    );
  });

  it("text that looks like code stays text in a summary function", () => {
    const t = translateTemplate("cost `${x}` \\ {{ humanize $value }}");
    expect(asTemplateLiteral(t.parts)).toBe("`cost \\`\\${x}\\` \\\\ ${humanize(result.value)}`");
  });

  it("trim markers, comments and string literals behave as in Go", () => {
    const t = translateTemplate('a  {{- /* note */ -}}  b {{ "lit" }}');
    expect(asTemplate(t.parts)).toBe("ab lit");
  });

  it("string literals take Go's escapes, and one Go refuses is dropped and reported, never a crash", () => {
    expect(asTemplate(translateTemplate('{{ "\\x41\\101\\u00e9\\xe2\\x82\\xac\\U0001F600\\a|\\t|\\"" }}').parts)).toBe('AAé€😀\u0007|\t|"');
    expect(asTemplate(translateTemplate('{{ "a\tb" }}').parts)).toBe("a\tb");
    for (const bad of ['{{ "\\q" }}', '{{ "\\/" }}', '{{ "\\x4" }}', '{{ "\\400" }}', '{{ "\\uD800" }}', '{{ "\\U00110000" }}']) {
      expect(translateTemplate(`on ${bad}`).dropped, bad).toEqual([bad]);
    }
  });

  it("actions without an equivalent are reported: dropped, or the whole template for control flow", () => {
    const dropped = translateTemplate("on {{ $externalLabels.cluster }}: {{ $labels.instance | toUpper }}");
    expect(dropped.dropped).toEqual(["{{ $externalLabels.cluster }}", "{{ $labels.instance | toUpper }}"]);
    const control = translateTemplate("{{ if gt $value 1.0 }}high{{ end }}");
    expect(control.controlFlow).toBe("{{ if gt $value 1.0 }}");
    expect(translateTemplate("{{ $x := 1 }}{{ $x }}").controlFlow).toBe("{{ $x := 1 }}");
  });

  it("an action that is never closed is a syntax problem", () => {
    expect(templateProblem("value {{ $value")).toMatch(/not closed/);
    expect(templateProblem('ok {{ "}}" }}')).toBeNull();
  });
});
