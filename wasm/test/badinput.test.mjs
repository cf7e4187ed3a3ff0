// badinput.test.mjs: garbage, wrong types and huge inputs come back as error objects; nothing throws.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kw } from "./helpers.mjs";

const GARBAGE = ["", "null", "[]", "42", "{", "\u0000\u0001", "{\"request\": 5}", "{\"key_policy\": 3, \"request\": {}}",
  "{\"identity_policies\": {\"a\": 1}, \"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\"}}",
  "{\"scps\": [[{\"name\": 1, \"text\": 2}]], \"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\"}}",
  "{\"request\": {\"principal\": [\"x\"], \"action\": {}}}",
  "{\"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\", \"mfa_age_s\": \"soon\"}}",
  "{\"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\", \"context\": {\"k\": {\"x\": 1}}}}",
  "{\"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\", \"encryption_context\": [1]}}",
  "{\"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\", \"key_arn\": \"alias/x\"}}",
  "{\"grants\": \"{nope\", \"request\": {\"principal\": \"111122223333\", \"action\": \"kms:Decrypt\"}}"];

function parsed(s) {
  assert.equal(typeof s, "string");
  return JSON.parse(s);
}

test("explain: garbage and wrong types give error objects", () => {
  for (const g of GARBAGE) {
    const r = parsed(kw.explain(g));
    assert.equal(r.ok, false, `accepted: ${g}`);
    assert.equal(typeof r.error.message, "string");
  }
});

test("lint: garbage gives findings, never a throw", () => {
  for (const g of GARBAGE) {
    const r = parsed(kw.lint(g, "auto"));
    assert.equal(r.ok, true);
  }
  for (const k of ["key", "grant", "scp", ""]) assert.equal(parsed(kw.lint("{]", k)).ok, true);
});

test("test: garbage scenarios and files give error objects", () => {
  for (const g of GARBAGE) {
    assert.equal(parsed(kw.test(g, false)).ok, false, g);
    assert.equal(parsed(kw.test(g, true)).ok, false, g);
  }
  assert.equal(parsed(kw.test("{}", false, "[1]")).error.field, "files_json");
});

test("huge inputs are refused with an error object", () => {
  const huge = "x".repeat(9 * 1024 * 1024);
  assert.equal(parsed(kw.explain(huge)).error.field, "bundle");
  const bigDoc = JSON.stringify({ key_policy: " ".repeat(2 * 1024 * 1024), request: { principal: "111122223333", action: "kms:Decrypt" } });
  assert.equal(parsed(kw.explain(bigDoc)).error.field, "key_policy");
  assert.equal(parsed(kw.lint(huge, "auto")).ok, false);
  assert.equal(parsed(kw.test(huge, true)).ok, false);
  const deep = "[".repeat(100000) + "]".repeat(100000);
  assert.equal(parsed(kw.lint(deep, "auto")).ok, true);
  assert.equal(parsed(kw.explain(JSON.stringify({ key_policy: deep.slice(0, 20000) + deep.slice(-20000), request: { principal: "111122223333", action: "kms:Decrypt" } }))).ok, false);
});

test("KmsSession: bad JSON, wrong types, unknown operations and principals give error objects", () => {
  const kms = new kw.KmsSession();
  const cases = [
    ["", "Encrypt", "{"], ["", "Encrypt", "[1,2]"], ["", "Encrypt", "{\"KeyId\": 5}"], ["", "NoSuchOp", "{}"],
    ["not-an-arn", "ListKeys", "{}"], ["", "Decrypt", "{\"CiphertextBlob\": \"!!!\"}"], ["", "CreateKey", "{\"KeySpec\": \"NOPE\"}"],
    ["", "Encrypt", "x".repeat(2 * 1024 * 1024)],
  ];
  for (const [p, op, input] of cases) {
    const r = parsed(kms.call(p, op, input, NaN));
    assert.equal(r.ok, false, `${op} ${input.slice(0, 40)}`);
    assert.equal(typeof r.error.code, "string");
  }
  assert.equal(parsed(kms.call_as("nope", "ListKeys", "{}")).ok, false);
  assert.equal(parsed(kms.put_identity("nope", "[]")).ok, false);
  assert.equal(parsed(kms.put_identity("arn:aws:iam::111122223333:role/R", "{\"p\": 1}")).ok, false);
  assert.equal(parsed(kms.put_identity("arn:aws:iam::111122223333:role/R", "[]", "{")).ok, false);
});

test("version and bench", () => {
  assert.match(kw.version(), /^\d+\.\d+\.\d+/);
  assert.ok(kw.bench_decide(200) > 0);
});
