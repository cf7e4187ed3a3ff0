// scenario.test.mjs: test() runs scenario files from tests/scenarios and reports each case.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { kw } from "./helpers.mjs";

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "tests", "scenarios");

test("a scenario file runs and every case passes", () => {
  const files = readdirSync(dir, { recursive: true }).filter((f) => /\.(ya?ml|json)$/.test(f));
  const all = files.map((f) => [f.split(path.sep).join("/"), readFileSync(path.join(dir, f), "utf8")]);
  const fileMap = JSON.stringify(Object.fromEntries(all));
  const inline = all.filter(([f]) => !f.includes("/"));
  let ran = 0;
  for (const [name, text] of inline) {
    if (!/^cases:/m.test(text) && !/"cases"/.test(text)) continue;
    const r = JSON.parse(kw.test(text, /\.ya?ml$/.test(name), fileMap));
    assert.equal(r.ok, true, `${name}: ${JSON.stringify(r.error)}`);
    assert.equal(r.failed, 0, `${name}: ${JSON.stringify(r.cases.filter((c) => !c.pass))}`);
    assert.ok(r.cases.every((c) => c.line >= 1));
    ran += r.passed;
  }
  assert.ok(ran > 0);
});

test("an invalid scenario returns an error object", () => {
  const r = JSON.parse(kw.test("cases: [", true));
  assert.equal(r.ok, false);
  assert.equal(r.error.field, "scenario");
});
