// explain.test.mjs: explain decides known bundles from policies/examples, points at the deciding
// statement, and offers fixes that turn an implicit deny into Allow when applied.
import { test } from "node:test";
import assert from "node:assert/strict";
import { example, explain, KEY } from "./helpers.mjs";

const DECRYPT_ANY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "kms:Decrypt", Resource: "*" }],
});

/** Applies a fix to a bundle the way the page does. */
function applyFix(bundle, fix) {
  const b = structuredClone(bundle);
  if (fix.field === "request") {
    b.request = fix.fixed_request;
    return b;
  }
  assert.ok(fix.fixed_text, `fix without text: ${JSON.stringify(fix)}`);
  const m = /^identity_policies\[(\d+)\]$/.exec(fix.field);
  if (m) {
    b.identity_policies = b.identity_policies ?? [];
    const i = Number(m[1]);
    if (i === b.identity_policies.length) b.identity_policies.push({ name: fix.new_policy_name, text: fix.fixed_text });
    else b.identity_policies[i].text = fix.fixed_text;
  } else {
    b[fix.field] = fix.fixed_text;
  }
  return b;
}

test("cross-account decrypt without the key policy's permission is denied", () => {
  const r = explain({
    key_policy: example("encryption-context-finance-dataanalytics-key-policy.json"),
    identity_policies: [{ name: "decrypt", text: DECRYPT_ANY }],
    request: {
      principal: "arn:aws:sts::999988887777:assumed-role/Stranger/s1",
      action: "kms:Decrypt",
      key_arn: KEY,
      encryption_context: { Department: "Finance", Project: "DataAnalytics" },
    },
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.decision, "ImplicitDeny");
  assert.equal(r.rule, "cross_account_no_resource_allow");
  assert.match(r.summary, /cross-account/);
  assert.match(r.text, /^DENIED/);
});

test("wrong encryption context: implicit deny, and the context fix gives Allow", () => {
  const bundle = {
    key_policy: example("encryption-context-finance-dataanalytics-key-policy.json"),
    identity_policies: [{ name: "etl", text: DECRYPT_ANY }],
    request: {
      principal: "arn:aws:sts::444455556666:assumed-role/DataProcessingRole/etl-run",
      action: "kms:Decrypt",
      key_arn: KEY,
      encryption_context: { Department: "HR", Project: "DataAnalytics" },
    },
  };
  const r = explain(bundle);
  assert.equal(r.decision, "ImplicitDeny");
  const cond = r.trace.policies[0].statements[1].conditions.find((c) => !c.result);
  assert.equal(cond.key, "kms:EncryptionContext:Department");
  assert.ok(cond.span.line > 1);
  const fix = r.fixes.find((f) => f.edit.kind === "set_context");
  assert.ok(fix, JSON.stringify(r.fixes));
  assert.equal(fix.field, "request");
  assert.equal(fix.fixed_request.encryption_context.Department, "Finance");
  assert.equal(explain(applyFix(bundle, fix)).decision, "Allow");
  // Every fix offered applies in one click.
  for (const f of r.fixes) assert.equal(explain(applyFix(bundle, f)).decision, "Allow", f.message);
});

test("IAM allows but the key policy does not delegate: the key policy fix gives Allow", () => {
  const kp = JSON.parse(example("application-key-policy.json"));
  kp.Statement = kp.Statement.slice(1); // drop "Enable IAM User Permissions"
  const bundle = {
    key_policy: JSON.stringify(kp, null, 2),
    identity_policies: [{ name: "usage", text: example("iam-kms-usage-policy.json") }],
    request: { principal: "arn:aws:sts::111122223333:assumed-role/ReportingRole/r1", action: "kms:Decrypt", key_arn: KEY },
  };
  const r = explain(bundle);
  assert.equal(r.decision, "ImplicitDeny");
  assert.equal(r.rule, "kms_not_delegated");
  assert.ok(r.fixes.length > 0);
  const fix = r.fixes.find((f) => f.field === "key_policy");
  assert.ok(fix, JSON.stringify(r.fixes));
  assert.ok(fix.fixed_text.startsWith("{\n  \"Version\""), "original formatting kept");
  const after = explain(applyFix(bundle, fix));
  assert.equal(after.decision, "Allow");
  assert.equal(after.deciders[0].field, "key_policy");
});

test("a grant with an encryption context constraint allows only the right context", () => {
  const bundle = {
    key_policy: example("default-key-policy.json"),
    grants: example("grants-list-response.json"),
    request: {
      principal: "arn:aws:sts::111122223333:assumed-role/BatchProcessingRole/b1",
      action: "kms:Decrypt",
      key_arn: KEY,
      encryption_context: { Department: "Finance", Project: "DataAnalytics", Extra: "x" },
    },
  };
  const ok = explain(bundle);
  assert.equal(ok.decision, "Allow", ok.summary);
  assert.equal(ok.rule, "grant_allows");
  assert.equal(ok.deciders[0].field, "grants");
  bundle.request.encryption_context = { Department: "HR" };
  const no = explain(bundle);
  assert.equal(no.decision, "ImplicitDeny");
  assert.equal(no.trace.grants[0].constraint[1], false);
});

test("MFA emergency access: allowed with MFA, denied without", () => {
  const bundle = {
    key_policy: example("business-hours-mfa-emergency-key-policy.json"),
    request: {
      principal: "arn:aws:sts::111122223333:assumed-role/EmergencyRole/oncall",
      action: "kms:Decrypt",
      key_arn: KEY,
      time: "2026-03-10T23:30:00Z",
      mfa_age_s: 60,
    },
  };
  const ok = explain(bundle);
  assert.equal(ok.decision, "Allow", ok.summary);
  const d = ok.deciders[0];
  assert.equal(d.field, "key_policy");
  assert.equal(d.label, "'Emergency access outside business hours'");
  const kp = bundle.key_policy;
  assert.ok(kp.slice(d.span.start16, d.span.end16).includes("Emergency access"));
  delete bundle.request.mfa_age_s;
  assert.equal(explain(bundle).decision, "ImplicitDeny");
});

test("an SCP's explicit deny wins", () => {
  const r = explain({
    key_policy: example("default-key-policy.json"),
    identity_policies: [{ name: "admin", text: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' }],
    scps: [[
      { name: "FullAWSAccess", text: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}' },
      { name: "deny-deletion", text: example("scp-deny-key-deletion.json") },
    ]],
    request: { principal: "arn:aws:iam::111122223333:user/admin", action: "kms:ScheduleKeyDeletion", key_arn: KEY },
  });
  assert.equal(r.decision, "ExplicitDeny");
  assert.equal(r.deciders[0].field, "scps[0][1]");
  assert.equal(r.fixes.length, 0);
});

test("a policy with a syntax error fails with its field, line and column", () => {
  const r = explain({
    key_policy: '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow" "Action": "kms:*"}\n  ]\n}',
    request: { principal: "111122223333", action: "kms:Decrypt", key_arn: KEY },
  });
  assert.equal(r.ok, false);
  assert.equal(r.error.field, "key_policy");
  assert.equal(r.error.line, 4);
  assert.ok(r.error.column > 1);
  assert.ok(r.error.diagnostics.length >= 1);
});

test("bad request fields name the field", () => {
  const base = { key_policy: example("default-key-policy.json") };
  assert.equal(explain({ ...base, request: { principal: "nobody", action: "kms:Decrypt" } }).error.field, "request.principal");
  assert.equal(explain({ ...base, request: { principal: "111122223333", action: "kms:Decrypt", time: "yesterday" } }).error.field, "request.time");
  assert.equal(explain({ ...base, request: { principal: "111122223333" } }).error.field, "request.action");
  assert.equal(explain({ ...base }).error.field, "request");
});
