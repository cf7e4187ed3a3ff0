// lint.test.mjs: lint finds planted errors at the right line and column, with UTF-16 offsets.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kw, example } from "./helpers.mjs";

test("clean example lints without errors", () => {
  const r = JSON.parse(kw.lint(example("default-key-policy.json"), "auto"));
  assert.equal(r.ok, true);
  assert.equal(r.kind, "key");
  assert.equal(r.kind_inferred, true);
  assert.equal(r.findings.filter((f) => f.severity === "ERROR").length, 0);
});

test("planted invalid action is reported at its line and column", () => {
  const text = [
    "{",
    '  "Version": "2012-10-17",',
    '  "Statement": [{',
    '    "Effect": "Allow",',
    '    "Action": "kms:Decryptt",',
    '    "Resource": "*"',
    "  }]",
    "}",
  ].join("\n");
  const r = JSON.parse(kw.lint(text, "identity"));
  assert.equal(r.ok, true);
  assert.equal(r.kind, "identity");
  const f = r.findings.find((f) => f.code === "invalid-action");
  assert.ok(f, JSON.stringify(r.findings));
  assert.equal(f.severity, "ERROR");
  assert.equal(f.line, 5);
  assert.equal(f.column, 15);
  assert.equal(text.slice(f.start16, f.end16), '"kms:Decryptt"');
  assert.equal(f.path, "Statement[0].Action");
});

test("a JSON syntax error has a position; UTF-16 offsets differ from bytes after non-ASCII", () => {
  const text = '{\n  "Id": "clé 🔑",\n  "Statement": [,]\n}';
  const r = JSON.parse(kw.lint(text, "key"));
  assert.equal(r.ok, true);
  const f = r.findings.find((f) => f.severity === "ERROR");
  assert.ok(f, JSON.stringify(r));
  assert.equal(f.line, 3);
  assert.equal(text[f.start16], ",");
  assert.ok(f.start > f.start16, "bytes run ahead of UTF-16 units after é and 🔑");
});

test("unknown kind is an error object", () => {
  const r = JSON.parse(kw.lint("{}", "banana"));
  assert.equal(r.ok, false);
  assert.equal(r.error.field, "kind");
});

test("lint_checks lists the checks", () => {
  const c = JSON.parse(kw.lint_checks());
  assert.ok(c.length > 10);
  assert.ok(c.some((x) => x.code === "invalid-action"));
});
