"""boto3 and the aws CLI build an identity world against `keyward serve` through its IAM and STS
APIs (users, access keys, roles with trust policies, inline, managed and group policies,
AssumeRole with and without a session policy), and every KMS decision they then see is the one
AWS makes, with AWS's error codes and messages. The script starts its own server (with
`--test-clock`, to expire sessions) on a fresh state directory, SIGKILLs and restarts it to
check durability, and reads GetAccountAuthorizationDetails back with `keyward who-can`.

Env: KEYWARD_BIN (the keyward binary), KW_AWS_CLI (the aws CLI; optional)."""

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3
import botocore.config
from botocore.exceptions import ClientError

BIN = os.environ.get("KEYWARD_BIN", "target/debug/keyward")
ACCT = "111122223333"
CFG = botocore.config.Config(retries={"max_attempts": 1})
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def error_of(fn, *a, **kw):
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    return None, None


class Server:
    def __init__(self, state):
        self.state = state
        self.proc = None
        self.url = None

    def start(self):
        self.err = open(os.path.join(self.state, "..", "server.err"), "w")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--addr", "127.0.0.1:0", "--state", self.state, "--test-clock",
             "--log-format", "off"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for _ in range(200):
            line = self.proc.stderr.readline()
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if m:
                self.url = m.group(1)
                return
            if self.proc.poll() is not None:
                break
        raise SystemExit("keyward serve did not start")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)

    def clock(self, seconds):
        req = urllib.request.Request(self.url + "/_keyward/clock", data=str(seconds).encode(),
                                     method="POST")
        urllib.request.urlopen(req, timeout=10).read()


def clients(srv, key_id, secret, token=None, region="us-east-1"):
    s = boto3.session.Session(aws_access_key_id=key_id, aws_secret_access_key=secret,
                              aws_session_token=token, region_name=region)
    return (s.client("iam", endpoint_url=srv.url, config=CFG),
            s.client("sts", endpoint_url=srv.url, config=CFG),
            s.client("kms", endpoint_url=srv.url, config=CFG))


def session_clients(srv, creds):
    c = creds["Credentials"]
    return clients(srv, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])


def main():
    tmp = tempfile.mkdtemp(prefix="kw-iamsts-")
    state = os.path.join(tmp, "state")
    out = subprocess.run([BIN, "iam", "--state", state, "create-access-key", "--principal",
                          f"arn:aws:iam::{ACCT}:user/admin"], check=True, capture_output=True,
                         text=True).stdout
    admin_key = json.loads(out)["AccessKey"]
    srv = Server(state)
    srv.start()
    try:
        run(srv, admin_key, tmp, state)
    finally:
        srv.stop()
    print(f"{len(FAILS)} failure(s)")
    sys.exit(1 if FAILS else 0)


def run(srv, admin_key, tmp, state):
    iam, sts, kms = clients(srv, admin_key["AccessKeyId"], admin_key["SecretAccessKey"])
    me = sts.get_caller_identity()
    check(me["Arn"] == f"arn:aws:iam::{ACCT}:user/admin" and me["Account"] == ACCT,
          "sts GetCallerIdentity names the seeded admin")
    # STS answers in any Region.
    _, sts_eu, _ = clients(srv, admin_key["AccessKeyId"], admin_key["SecretAccessKey"],
                           region="eu-west-1")
    check(sts_eu.get_caller_identity()["Account"] == ACCT, "STS answers in another Region")

    # A user and its access key, made through the IAM API.
    u = iam.create_user(UserName="dev", Tags=[{"Key": "team", "Value": "blue"}])["User"]
    check(u["Arn"] == f"arn:aws:iam::{ACCT}:user/dev" and u["UserId"].startswith("AIDA"),
          "CreateUser returns the user's ARN and AIDA id")
    code, _ = error_of(iam.create_user, UserName="dev")
    check(code == "EntityAlreadyExists", "CreateUser twice is EntityAlreadyExists")
    dk = iam.create_access_key(UserName="dev")["AccessKey"]
    d_iam, d_sts, d_kms = clients(srv, dk["AccessKeyId"], dk["SecretAccessKey"])
    check(d_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCT}:user/dev",
          "the new key signs as the new user")
    code, msg = error_of(d_iam.list_users)
    check(code == "AccessDenied" and msg == (
        f"User: arn:aws:iam::{ACCT}:user/dev is not authorized to perform: iam:ListUsers on "
        f"resource: arn:aws:iam::{ACCT}:user/ because no identity-based policy allows the "
        "iam:ListUsers action"), f"IAM calls are authorized: {code} {msg}")

    # Groups: a group policy lets the user list users.
    iam.create_group(GroupName="readers")
    iam.put_group_policy(GroupName="readers", PolicyName="list", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]}))
    iam.add_user_to_group(GroupName="readers", UserName="dev")
    names = [x["UserName"] for x in d_iam.list_users()["Users"]]
    check("dev" in names and "admin" in names, "a group policy allows ListUsers")

    key_arn = kms.create_key()["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=key_arn, Plaintext=b"secret")["CiphertextBlob"]

    # A role with a trust policy naming the user, with ExternalId.
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/dev"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "ext-42"}}}]}
    role = iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    check(role["RoleId"].startswith("AROA"), "CreateRole returns an AROA id")
    check(iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == trust,
          "GetRole returns the trust policy (URL-encoded on the wire, decoded by botocore)")
    role_arn = role["Arn"]
    denied = (f"User: arn:aws:iam::{ACCT}:user/dev is not authorized to perform: "
              f"sts:AssumeRole on resource: {role_arn}")
    code, msg = error_of(d_sts.assume_role, RoleArn=role_arn, RoleSessionName="s1")
    check(code == "AccessDenied" and msg == denied, f"no ExternalId: trust refuses ({msg})")
    code, msg = error_of(d_sts.assume_role, RoleArn=role_arn, RoleSessionName="s1",
                         ExternalId="wrong")
    check(code == "AccessDenied" and msg == denied, "wrong ExternalId: trust refuses")
    code, msg = error_of(sts.assume_role, RoleArn=role_arn, RoleSessionName="s1",
                         ExternalId="ext-42")
    check(code == "AccessDenied", "a principal the trust policy does not name is refused")

    t0 = time.perf_counter()
    creds = d_sts.assume_role(RoleArn=role_arn, RoleSessionName="s1", ExternalId="ext-42")
    s_iam, s_sts, s_kms = session_clients(srv, creds)
    session_arn = f"arn:aws:sts::{ACCT}:assumed-role/app/s1"
    check(creds["AssumedRoleUser"]["Arn"] == session_arn
          and creds["Credentials"]["AccessKeyId"].startswith("ASIA"),
          "AssumeRole returns ASIA credentials for the session ARN")
    ident = s_sts.get_caller_identity()
    check(ident["Arn"] == session_arn and ident["UserId"] == role["RoleId"] + ":s1",
          "the session signs as the assumed-role ARN")
    code, msg = error_of(s_kms.decrypt, CiphertextBlob=blob)
    print(f"     AssumeRole + first KMS call: {1000 * (time.perf_counter() - t0):.1f} ms")
    check(code == "AccessDeniedException" and msg == (
        f"User: {session_arn} is not authorized to perform: kms:Decrypt on resource: "
        f"{key_arn} because no identity-based policy allows the kms:Decrypt action"),
          f"a role with no policy cannot decrypt: {msg}")

    # A customer managed policy attached to the role: the same session may now decrypt.
    pol = iam.create_policy(PolicyName="decrypt", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}))["Policy"]
    iam.attach_role_policy(RoleName="app", PolicyArn=pol["Arn"])
    check(s_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret",
          "after AttachRolePolicy the session decrypts")
    att = iam.list_attached_role_policies(RoleName="app")["AttachedPolicies"]
    check([a["PolicyArn"] for a in att] == [pol["Arn"]], "ListAttachedRolePolicies")

    # Managed policy versions: v2 (encrypt only) as default takes Decrypt away; v1 gives it back.
    v2 = iam.create_policy_version(PolicyArn=pol["Arn"], SetAsDefault=True,
                                   PolicyDocument=json.dumps({
                                       "Version": "2012-10-17",
                                       "Statement": [{"Effect": "Allow", "Action": "kms:Encrypt",
                                                      "Resource": "*"}]}))["PolicyVersion"]
    check(v2["VersionId"] == "v2" and v2["IsDefaultVersion"], "CreatePolicyVersion v2 default")
    code, _ = error_of(s_kms.decrypt, CiphertextBlob=blob)
    check(code == "AccessDeniedException", "the new default version decides at once")
    v1 = iam.get_policy_version(PolicyArn=pol["Arn"], VersionId="v1")["PolicyVersion"]
    check(v1["Document"]["Statement"][0]["Action"] == "kms:Decrypt"
          and not v1["IsDefaultVersion"], "GetPolicyVersion v1")
    iam.set_default_policy_version(PolicyArn=pol["Arn"], VersionId="v1")
    check(s_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret", "back to v1")
    check(iam.get_policy(PolicyArn=pol["Arn"])["Policy"]["AttachmentCount"] == 1,
          "GetPolicy counts the attachment")

    # A session policy narrows the session: encrypt only.
    creds_sp = d_sts.assume_role(RoleArn=role_arn, RoleSessionName="narrow", ExternalId="ext-42",
                                 Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                                     "Effect": "Allow", "Action": "kms:Encrypt",
                                     "Resource": "*"}]}))
    _, _, n_kms = session_clients(srv, creds_sp)
    code, msg = error_of(n_kms.decrypt, CiphertextBlob=blob)
    check(code == "AccessDeniedException" and msg == (
        f"User: arn:aws:sts::{ACCT}:assumed-role/app/narrow is not authorized to perform: "
        f"kms:Decrypt on resource: {key_arn} because no session policy allows the kms:Decrypt "
        "action"), f"a session policy takes Decrypt away: {msg}")

    # Bad policy documents name the line and column.
    code, msg = error_of(iam.put_role_policy, RoleName="app", PolicyName="bad",
                         PolicyDocument='{"Version": "2012-10-17",\n "Statement": [{"Effect": '
                                        '"Allow", "Action": "kms:Decrypt"}]}')
    check(code == "MalformedPolicyDocument" and re.search(r"line \d+, column \d+", msg or ""),
          f"MalformedPolicyDocument with line:col: {msg}")

    # Trust on principal tags: dev is tagged team=blue; carol is not.
    iam.create_role(RoleName="blue", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}}]}))
    iam.put_user_policy(UserName="dev", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    iam.create_user(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="assume", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    ck = iam.create_access_key(UserName="carol")["AccessKey"]
    _, c_sts, _ = clients(srv, ck["AccessKeyId"], ck["SecretAccessKey"])
    blue = f"arn:aws:iam::{ACCT}:role/blue"
    check(d_sts.assume_role(RoleArn=blue, RoleSessionName="bb")["AssumedRoleUser"]["Arn"]
          .endswith("assumed-role/blue/bb"), "aws:PrincipalTag in the trust policy admits dev")
    code, _ = error_of(c_sts.assume_role, RoleArn=blue, RoleSessionName="bb")
    check(code == "AccessDenied", "and refuses carol (untagged)")

    # Session tags: need sts:TagSession in the trust; they override the role's own tag of the
    # same key in aws:PrincipalTag, which the role's policy reads.
    iam.create_role(RoleName="tagged", Tags=[{"Key": "project", "Value": "y"}],
                    AssumeRolePolicyDocument=json.dumps({
                        "Version": "2012-10-17", "Statement": [{
                            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:user/dev"},
                            "Action": ["sts:AssumeRole", "sts:TagSession"]}]}))
    iam.put_role_policy(RoleName="tagged", PolicyName="by-tag", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/project": "x"}}}]}))
    tagged = f"arn:aws:iam::{ACCT}:role/tagged"
    _, _, tx_kms = session_clients(srv, d_sts.assume_role(
        RoleArn=tagged, RoleSessionName="tx", Tags=[{"Key": "project", "Value": "x"}]))
    check(tx_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret",
          "a session tag overrides the role's tag in aws:PrincipalTag")
    _, _, ty_kms = session_clients(srv, d_sts.assume_role(RoleArn=tagged, RoleSessionName="ty"))
    code, _ = error_of(ty_kms.decrypt, CiphertextBlob=blob)
    check(code == "AccessDeniedException", "without the session tag, the role's own tag decides")

    # GetSessionToken with MFA: carol may decrypt only with MFA.
    iam.put_user_policy(UserName="carol", PolicyName="mfa-decrypt", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}))
    _, _, c_kms = clients(srv, ck["AccessKeyId"], ck["SecretAccessKey"])
    code, _ = error_of(c_kms.decrypt, CiphertextBlob=blob)
    check(code == "AccessDeniedException", "no MFA: carol's long-term key may not decrypt")
    _, _, nm_kms = session_clients(srv, c_sts.get_session_token())
    code, _ = error_of(nm_kms.decrypt, CiphertextBlob=blob)
    check(code == "AccessDeniedException", "GetSessionToken without MFA: still refused")
    mfa = c_sts.get_session_token(SerialNumber=f"arn:aws:iam::{ACCT}:mfa/carol",
                                  TokenCode="123456", DurationSeconds=900)
    m_iam, m_sts, m_kms = session_clients(srv, mfa)
    check(m_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret",
          "GetSessionToken with MFA: the session decrypts")
    check(m_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCT}:user/carol",
          "a GetSessionToken session acts as the user")

    # Role chaining: a session may assume a role the trust allows, for one hour at most.
    iam.create_role(RoleName="next", MaxSessionDuration=7200, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": role_arn}, "Action": "sts:AssumeRole"}]}))
    next_arn = f"arn:aws:iam::{ACCT}:role/next"
    code, msg = error_of(s_sts.assume_role, RoleArn=next_arn, RoleSessionName="cc",
                         DurationSeconds=7200)
    check(code == "ValidationError" and "role chaining" in (msg or ""),
          f"role chaining is limited to 1 hour: {msg}")
    chained = s_sts.assume_role(RoleArn=next_arn, RoleSessionName="cc", DurationSeconds=3600)
    check(chained["AssumedRoleUser"]["Arn"].endswith("assumed-role/next/cc"), "chained session")

    # Expired sessions: the server's clock moves past the 15-minute session.
    short = d_sts.assume_role(RoleArn=role_arn, RoleSessionName="short", ExternalId="ext-42",
                              DurationSeconds=900)
    _, x_sts, x_kms = session_clients(srv, short)
    check(x_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret", "fresh session works")
    srv.clock(901)
    code, msg = error_of(x_kms.decrypt, CiphertextBlob=blob)
    check(code == "ExpiredTokenException", f"KMS: expired session is ExpiredTokenException ({msg})")
    code, _ = error_of(x_sts.get_caller_identity)
    check(code == "ExpiredToken", "STS: expired session is ExpiredToken")
    srv.clock(0)

    # Durability: SIGKILL, restart; every acknowledged change is there, and sessions still work.
    srv.kill()
    srv.start()
    iam, sts, kms = clients(srv, admin_key["AccessKeyId"], admin_key["SecretAccessKey"])
    s_iam, s_sts, s_kms = session_clients(srv, creds)
    d_iam, d_sts, d_kms = clients(srv, dk["AccessKeyId"], dk["SecretAccessKey"])
    check(s_kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret",
          "after SIGKILL and restart the session still decrypts")
    check({r["RoleName"] for r in iam.list_roles()["Roles"]} >= {"app", "blue", "next"},
          "after SIGKILL the roles are there")

    # Revocation: Inactive, then deleted, takes effect on the next request.
    iam.update_access_key(UserName="dev", AccessKeyId=dk["AccessKeyId"], Status="Inactive")
    code, msg = error_of(d_sts.get_caller_identity)
    check(code == "InvalidClientTokenId" and msg ==
          "The security token included in the request is invalid.", "STS: inactive key refused")
    code, _ = error_of(d_kms.list_keys)
    check(code == "UnrecognizedClientException", "KMS: inactive key refused")
    iam.update_access_key(UserName="dev", AccessKeyId=dk["AccessKeyId"], Status="Active")
    check(d_sts.get_caller_identity()["Arn"].endswith("user/dev"), "reactivated key works")
    keys = iam.list_access_keys(UserName="dev")["AccessKeyMetadata"]
    check([k["AccessKeyId"] for k in keys] == [dk["AccessKeyId"]], "ListAccessKeys")
    code, _ = error_of(iam.delete_user, UserName="dev")
    check(code == "DeleteConflict", "DeleteUser with keys is DeleteConflict")
    iam.delete_access_key(UserName="dev", AccessKeyId=dk["AccessKeyId"])
    code, _ = error_of(d_iam.get_user)
    check(code == "InvalidClientTokenId", "IAM: deleted key refused")

    # GetAccountAuthorizationDetails, read back by `keyward who-can`.
    details = iam.get_account_authorization_details()
    details.pop("ResponseMetadata", None)
    path = os.path.join(tmp, "details.json")
    with open(path, "w") as f:
        json.dump(details, f, default=str)
    check({r["RoleName"] for r in details["RoleDetailList"]} >= {"app", "blue", "next"},
          "GetAccountAuthorizationDetails lists the roles")
    kp = os.path.join(tmp, "key-policy.json")
    with open(kp, "w") as f:
        f.write(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    who = subprocess.run([BIN, "who-can", "--action", "kms:Decrypt", "--key", key_arn,
                          "--key-policy", kp, "--account-export", path, "--format", "json"],
                         capture_output=True, text=True)
    check(who.returncode in (0, 1) and "role/app" in who.stdout,
          f"keyward who-can reads the export and names role/app: {who.stderr[-300:]}")

    # The aws CLI: create a user and read the caller, through the same endpoint.
    cli = os.environ.get("KW_AWS_CLI")
    if cli:
        env = dict(os.environ, AWS_ACCESS_KEY_ID=admin_key["AccessKeyId"],
                   AWS_SECRET_ACCESS_KEY=admin_key["SecretAccessKey"],
                   AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE="/dev/null",
                   AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        r = subprocess.run([cli, "iam", "create-user", "--user-name", "from-cli",
                            "--endpoint-url", srv.url], env=env, capture_output=True, text=True)
        check(r.returncode == 0 and json.loads(r.stdout)["User"]["UserName"] == "from-cli",
              f"aws iam create-user: {r.stderr[-200:]}")
        r = subprocess.run([cli, "sts", "assume-role", "--role-arn", role_arn,
                            "--role-session-name", "cli", "--endpoint-url", srv.url], env=env,
                           capture_output=True, text=True)
        check(r.returncode != 0 and "AccessDenied" in r.stderr,
              f"aws sts assume-role refused by the trust policy: {r.returncode}")
        r = subprocess.run([cli, "sts", "get-caller-identity", "--endpoint-url", srv.url],
                           env=env, capture_output=True, text=True)
        check(r.returncode == 0 and json.loads(r.stdout)["Account"] == ACCT,
              "aws sts get-caller-identity")

    # `keyward iam` on the state directory the server holds points at the server's IAM API.
    r = subprocess.run([BIN, "iam", "--state", state, "list"], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode != 0 and "IAM API" in r.stderr,
          f"keyward iam while the server runs says to use its IAM API: {r.stderr[-200:]}")


if __name__ == "__main__":
    main()
