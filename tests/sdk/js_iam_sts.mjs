// The JS SDK v3 against `keyward serve`'s IAM and STS: create a role whose trust policy names
// the admin, attach a customer managed policy allowing kms:DescribeKey, assume the role, and
// check that KMS decides as the session (DescribeKey allowed, Decrypt denied with AWS's
// message naming the session ARN). Env: KEYWARD_ENDPOINT, KW_ADMIN_ID, KW_ADMIN_SECRET, and
// NODE_PATH holding @aws-sdk/client-iam, client-sts and client-kms.
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const require = createRequire(import.meta.url);
const { IAMClient, CreateRoleCommand, CreatePolicyCommand, AttachRolePolicyCommand } =
  require("@aws-sdk/client-iam");
const { STSClient, AssumeRoleCommand, GetCallerIdentityCommand } = require("@aws-sdk/client-sts");
const { KMSClient, CreateKeyCommand, EncryptCommand, DecryptCommand, DescribeKeyCommand } =
  require("@aws-sdk/client-kms");

const endpoint = process.env.KEYWARD_ENDPOINT;
const admin = {
  accessKeyId: process.env.KW_ADMIN_ID,
  secretAccessKey: process.env.KW_ADMIN_SECRET,
};
const cfg = (credentials) => ({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
const acct = "111122223333";

const iam = new IAMClient(cfg(admin));
const sts = new STSClient(cfg(admin));
const kms = new KMSClient(cfg(admin));

const me = await sts.send(new GetCallerIdentityCommand({}));
assert.equal(me.Arn, `arn:aws:iam::${acct}:user/admin`);

const key = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
const blob = (await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("js") })))
  .CiphertextBlob;

await iam.send(new CreateRoleCommand({
  RoleName: "JsApp",
  AssumeRolePolicyDocument: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "sts:AssumeRole",
                  Principal: { AWS: `arn:aws:iam::${acct}:user/admin` } }],
  }),
}));
const pol = (await iam.send(new CreatePolicyCommand({
  PolicyName: "js-describe",
  PolicyDocument: JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "kms:DescribeKey", Resource: "*" }],
  }),
}))).Policy;
await iam.send(new AttachRolePolicyCommand({ RoleName: "JsApp", PolicyArn: pol.Arn }));

const out = await sts.send(new AssumeRoleCommand({
  RoleArn: `arn:aws:iam::${acct}:role/JsApp`, RoleSessionName: "js",
}));
assert.ok(out.Credentials.AccessKeyId.startsWith("ASIA"));
const session = {
  accessKeyId: out.Credentials.AccessKeyId,
  secretAccessKey: out.Credentials.SecretAccessKey,
  sessionToken: out.Credentials.SessionToken,
};
const skms = new KMSClient(cfg(session));
const sarn = `arn:aws:sts::${acct}:assumed-role/JsApp/js`;
assert.equal((await new STSClient(cfg(session)).send(new GetCallerIdentityCommand({}))).Arn, sarn);
const d = await skms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
assert.equal(d.KeyMetadata.Arn, key.Arn);
await assert.rejects(skms.send(new DecryptCommand({ CiphertextBlob: blob })), (e) => {
  assert.equal(e.name, "AccessDeniedException");
  assert.equal(e.message, `User: ${sarn} is not authorized to perform: kms:Decrypt on resource: ` +
    `${key.Arn} because no identity-based policy allows the kms:Decrypt action`);
  return true;
});
console.log("ok   JS SDK v3: role, managed policy, AssumeRole, KMS as the session");
