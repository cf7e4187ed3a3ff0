//! Generates a large, realistic-shaped account export and key policies for benchmarking
//! `keyward access-matrix`: `cargo run --release -p keyward-aws --example gen_export -- OUT
//! [PRINCIPALS] [KEYS]` writes OUT/auth.json (get-account-authorization-details shape) and
//! OUT/keys/KEY_ID.json (get-key-policy output). Deterministic (a fixed-seed generator).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "benchmark tool")]

use serde_json::{json, Value};
use std::path::PathBuf;

const ACCOUNT: &str = "111122223333";
const TEAMS: usize = 100;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn key_id(i: usize) -> String {
    format!("{:08x}-0000-4000-8000-{:012x}", i, i * 7919)
}

fn key_arn(i: usize) -> String {
    format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/{}", key_id(i))
}

fn managed(name: &str, doc: Value) -> Value {
    json!({
        "PolicyName": name, "PolicyId": format!("ANPA{:016}", name.len()),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:policy/{name}"), "Path": "/",
        "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": true,
        "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}]
    })
}

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().expect("usage: gen_export OUT [PRINCIPALS] [KEYS]"));
    let principals: usize = args.next().map_or(10_000, |s| s.parse().expect("PRINCIPALS"));
    let keys: usize = args.next().map_or(1_000, |s| s.parse().expect("KEYS"));
    let mut rng = Rng(0x5eed);
    let mut policies = vec![
        managed(
            "KmsAdministrators",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}),
        ),
        managed(
            "KmsReadOnly",
            json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Describe*", "kms:List*", "kms:Get*"], "Resource": "*"}]}),
        ),
    ];
    for t in 0..TEAMS {
        let team_keys: Vec<String> = (0..keys).filter(|k| k % TEAMS == t).map(key_arn).collect();
        policies.push(managed(&format!("Team{t}KeyUsers"), json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "UseTeamKeys", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"], "Resource": team_keys},
            {"Sid": "DecryptSharedWithContext", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
             "Condition": {"StringEquals": {"kms:EncryptionContext:team": format!("team{t}")}}}
        ]})));
    }
    let groups: Vec<Value> = (0..20).map(|g| json!({
        "Path": "/", "GroupName": format!("Group{g}"), "GroupId": format!("AGPA{g:016}"),
        "Arn": format!("arn:aws:iam::{ACCOUNT}:group/Group{g}"),
        "GroupPolicyList": [], "AttachedManagedPolicies": [
            {"PolicyName": format!("Team{}KeyUsers", g * 5), "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/Team{}KeyUsers", g * 5)}]
    })).collect();
    let deny_deletion = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"], "Resource": "*"}]});
    let (mut users, mut roles) = (Vec::new(), Vec::new());
    for i in 0..principals {
        let team = rng.below(TEAMS);
        let mut attached = vec![
            json!({"PolicyName": format!("Team{team}KeyUsers"), "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/Team{team}KeyUsers")}),
        ];
        if rng.chance(1) {
            attached.push(json!({"PolicyName": "KmsAdministrators", "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/KmsAdministrators")}));
        }
        if rng.chance(30) {
            attached.push(json!({"PolicyName": "KmsReadOnly", "PolicyArn": format!("arn:aws:iam::{ACCOUNT}:policy/KmsReadOnly")}));
        }
        let inline = if rng.chance(20) {
            vec![json!({"PolicyName": "NoDeletion", "PolicyDocument": deny_deletion})]
        } else {
            vec![]
        };
        let tags = json!([{"Key": "team", "Value": format!("team{team}")}]);
        if i % 5 < 2 {
            users.push(json!({"Path": "/", "UserName": format!("user{i}"), "UserId": format!("AIDA{i:016}"),
                "Arn": format!("arn:aws:iam::{ACCOUNT}:user/user{i}"), "UserPolicyList": inline,
                "GroupList": [format!("Group{}", rng.below(20))], "AttachedManagedPolicies": attached, "Tags": tags}));
        } else {
            roles.push(json!({"Path": "/", "RoleName": format!("role{i}"), "RoleId": format!("AROA{i:016}"),
                "Arn": format!("arn:aws:iam::{ACCOUNT}:role/role{i}"), "RolePolicyList": inline,
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "AttachedManagedPolicies": attached, "Tags": tags}));
        }
    }
    let export = json!({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies, "IsTruncated": false});
    std::fs::create_dir_all(out.join("keys")).unwrap();
    std::fs::write(out.join("auth.json"), serde_json::to_string(&export).unwrap()).unwrap();
    for k in 0..keys {
        let team = k % TEAMS;
        let mut stmts = vec![
            json!({"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")}, "Action": "kms:*", "Resource": "*"}),
            json!({"Sid": "DenyOtherTeamsDecrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:PrincipalTag/team": format!("team{team}")}, "Bool": {"aws:PrincipalIsAWSService": "false"}}}),
        ];
        if rng.chance(30) {
            stmts.push(json!({"Sid": "AllowViaS3", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:role/role{}", rng.below(principals.max(1)))},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}));
        }
        if rng.chance(10) {
            stmts.push(json!({"Sid": "AllowPartner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}));
        }
        let policy = json!({"Version": "2012-10-17", "Statement": stmts});
        let file = json!({"Policy": serde_json::to_string_pretty(&policy).unwrap(), "PolicyName": "default"});
        std::fs::write(
            out.join("keys").join(format!("{}.json", key_id(k))),
            serde_json::to_string_pretty(&file).unwrap(),
        )
        .unwrap();
    }
    eprintln!("wrote {} principals, {keys} keys to {}", principals, out.display());
}
