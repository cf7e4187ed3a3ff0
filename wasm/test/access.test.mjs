// access.test.mjs: who_can and diff from the WASM package see the callers a key policy admits
// beyond any export (issue 22's repro), and bad input comes back as error objects.
import { test } from "node:test";
import assert from "node:assert/strict";
import { kw, KEY } from "./helpers.mjs";

const ROOT = { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" };
const PARTNER = { Sid: "Partner", Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": "444455556666" } } };
const policy = (...st) => JSON.stringify({ Version: "2012-10-17", Statement: st });
const call = (f, b) => JSON.parse(f(JSON.stringify(b)));

test("who_can lists the partner account's class as Allow", () => {
  const r = call(kw.who_can, { key_policy: policy(ROOT, PARTNER), key_arn: KEY, actions: "kms:Decrypt" });
  assert.equal(r.ok, true, JSON.stringify(r));
  const row = r.rows.find((x) => x.kind === "class" && x.principal.startsWith("any principal of account 444455556666"));
  assert.ok(row, JSON.stringify(r.rows));
  assert.equal(row.status, "Allow");
  assert.equal(row.class.description, row.principal);
  assert.match(row.class.representative, /^arn:aws:iam::444455556666:/);
  const other = r.rows.find((x) => x.principal === "any principal of an account the policy does not name");
  assert.equal(other.status, "Deny");
});

test("diff finds the added access and says for whom", () => {
  const r = call(kw.diff, { old: policy(ROOT), new: policy(ROOT, PARTNER), key_arn: KEY, actions: ["kms:Decrypt"] });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.added_access, true);
  assert.equal(r.changes.length, 1);
  assert.equal(r.changes[0].change, "added");
  assert.equal(r.changes[0].principal, "any principal of account 444455556666 (needs its own IAM allow)");
  const same = call(kw.diff, { old: policy(ROOT, PARTNER), new: policy(ROOT, PARTNER), key_arn: KEY });
  assert.equal(same.added_access, false);
  assert.deepEqual(same.changes, []);
});

test("who_can and diff: bad input gives error objects naming the field", () => {
  for (const g of ["", "[]", "{", "5"]) {
    assert.equal(JSON.parse(kw.who_can(g)).ok, false, g);
    assert.equal(JSON.parse(kw.diff(g)).ok, false, g);
  }
  const broken = call(kw.who_can, { key_policy: "{\n \"Statement\": [{\"Effect\": \"Maybe\"}]}" });
  assert.equal(broken.error.field, "key_policy");
  assert.match(broken.error.message, /^key_policy:2:/);
  assert.equal(call(kw.diff, { old: policy(ROOT) }).error.field, "new");
  assert.equal(call(kw.who_can, { key_policy: policy(ROOT), key_arn: "alias/x" }).error.field, "key_arn");
});
