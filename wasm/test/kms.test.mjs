// kms.test.mjs: KmsSession round trip (create key, encrypt with context, decrypt, wrong context,
// a role without permission refused with the explanation).
import { test } from "node:test";
import assert from "node:assert/strict";
import { kw } from "./helpers.mjs";

const NOW = Date.parse("2026-03-10T14:00:00Z");
const ROLE = "arn:aws:iam::111122223333:role/App";
const SESSION = "arn:aws:sts::111122223333:assumed-role/App/s1";
const DESCRIBE_ONLY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*" }],
});

function call(kms, principal, op, input) {
  return JSON.parse(kms.call(principal, op, JSON.stringify(input), NOW));
}

test("create key, encrypt with context, decrypt; wrong context fails", () => {
  const kms = new kw.KmsSession();
  assert.equal(kms.default_caller(), "arn:aws:iam::111122223333:user/admin");
  assert.ok(JSON.parse(kms.operations()).includes("Decrypt"));
  const created = call(kms, "", "CreateKey", { Description: "demo" });
  assert.equal(created.ok, true, JSON.stringify(created));
  const keyId = created.output.KeyMetadata.KeyId;
  assert.equal(call(kms, "", "CreateAlias", { AliasName: "alias/demo", TargetKeyId: keyId }).ok, true);
  const plaintext = Buffer.from("Sensitive customer data").toString("base64");
  const enc = call(kms, "", "Encrypt", { KeyId: "alias/demo", Plaintext: plaintext, EncryptionContext: { Department: "Finance" } });
  assert.equal(enc.ok, true, JSON.stringify(enc));
  const blob = enc.output.CiphertextBlob;
  const dec = call(kms, "", "Decrypt", { CiphertextBlob: blob, EncryptionContext: { Department: "Finance" } });
  assert.equal(dec.ok, true, JSON.stringify(dec));
  assert.equal(Buffer.from(dec.output.Plaintext, "base64").toString(), "Sensitive customer data");
  assert.equal(dec.output.KeyId.endsWith(keyId), true);
  const wrong = call(kms, "", "Decrypt", { CiphertextBlob: blob, EncryptionContext: { Department: "HR" } });
  assert.equal(wrong.ok, false);
  assert.equal(wrong.error.code, "InvalidCiphertextException");

  // A role that may only describe keys is refused, with the explanation.
  assert.deepEqual(JSON.parse(kms.put_identity(ROLE, JSON.stringify([{ name: "ro", text: DESCRIBE_ONLY }]))), { ok: true });
  assert.equal(call(kms, SESSION, "DescribeKey", { KeyId: keyId }).ok, true);
  const denied = call(kms, SESSION, "Decrypt", { CiphertextBlob: blob, EncryptionContext: { Department: "Finance" } });
  assert.equal(denied.ok, false);
  assert.equal(denied.error.code, "AccessDeniedException");
  assert.match(denied.error.message, /is not authorized to perform: kms:Decrypt/);
  const ex = denied.error.explanation;
  assert.equal(ex.decision, "ImplicitDeny");
  assert.equal(ex.rule, "kms_delegated_no_iam_allow");
  assert.ok(ex.trace.policies.length > 0);
  assert.ok(Array.isArray(ex.fixes));
});

test("call_as carries MFA and context; put_scp denies", () => {
  const kms = new kw.KmsSession();
  const keyId = call(kms, "", "CreateKey", {}).output.KeyMetadata.KeyId;
  const deny = JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "*", Resource: "*" },
      { Effect: "Deny", Action: "kms:DescribeKey", Resource: "*", Condition: { BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } } },
    ],
  });
  assert.deepEqual(JSON.parse(kms.put_scp("mfa", deny)), { ok: true });
  const no = JSON.parse(kms.call_as(JSON.stringify({ now_ms: NOW }), "DescribeKey", JSON.stringify({ KeyId: keyId })));
  assert.equal(no.ok, false);
  assert.equal(no.error.code, "AccessDeniedException");
  assert.equal(no.error.explanation.decision, "ExplicitDeny");
  const yes = JSON.parse(kms.call_as(JSON.stringify({ now_ms: NOW, mfa_age_s: 30 }), "DescribeKey", JSON.stringify({ KeyId: keyId })));
  assert.equal(yes.ok, true, JSON.stringify(yes));
  const bad = JSON.parse(kms.put_scp("broken", "{"));
  assert.equal(bad.ok, false);
  assert.equal(bad.error.code, "MalformedPolicyDocumentException");
  kms.free();
});
