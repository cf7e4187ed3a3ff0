//! Tests of the Terraform reader: the JSON it builds, where each value maps back to in the
//! `.tf` text, kinds, placeholders, and what it does not read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "tests")]

use super::*;

/// The `.tf` offset a JSON offset maps to (as the CLI maps findings).
fn outer(d: &Document, inner: usize) -> usize {
    let i = d.segments.partition_point(|s| s.0 <= inner);
    let (si, so, exact) = d.segments[i - 1];
    if inner < si + exact {
        so + (inner - si)
    } else {
        so
    }
}

fn json(d: &Document) -> serde_json::Value {
    serde_json::from_str(&d.text).unwrap_or_else(|e| panic!("{e}: {}", d.text))
}

const DATA: &str = r#"
data "aws_iam_policy_document" "p" {
  statement {
    sid     = "Use"
    actions = ["kms:Decrypt", "kms:Encrypt"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [aws_iam_role.app.arn, "arn:aws:iam::111122223333:root"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:username"
      values   = ["&{aws:username}"]
    }
  }
}
resource "aws_kms_key_policy" "k" {
  policy = data.aws_iam_policy_document.p.json
}
"#;

#[test]
fn a_policy_document_data_source_becomes_json_mapped_to_its_values() {
    let f = read(DATA).unwrap();
    assert_eq!(f.documents.len(), 1);
    let d = &f.documents[0];
    assert_eq!(d.label, "data.aws_iam_policy_document.p");
    assert_eq!(d.kind, Some(DocKind::Policy(PolicyKind::Key)));
    let v = json(d);
    assert_eq!(v["Version"], "2012-10-17");
    let st = &v["Statement"][0];
    assert_eq!(st["Effect"], "Allow");
    assert_eq!(st["Action"], serde_json::json!(["kms:Decrypt", "kms:Encrypt"]));
    assert_eq!(st["Principal"]["AWS"][0], "arn:aws:iam::111122223333:role/app");
    assert_eq!(st["Condition"]["StringEquals"]["aws:username"][0], "${aws:username}");
    // Each action maps to its own string in the .tf text.
    let inner = d.text.find("\"kms:Encrypt\"").unwrap();
    assert_eq!(outer(d, inner), DATA.find("\"kms:Encrypt\"").unwrap());
    // The placeholder has a note at the reference.
    assert_eq!(d.notes.len(), 1);
    assert_eq!(d.notes[0].span.start as usize, DATA.find("aws_iam_role.app.arn").unwrap());
}

#[test]
fn jsonencode_and_heredoc_policies_take_the_kind_of_their_resource() {
    let tf = r#"
resource "aws_iam_role_policy" "r" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "s3:GetObject", Resource = "${aws_s3_bucket.b.arn}/*" }]
  })
}
resource "aws_kms_key" "k" {
  policy = <<EOF
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::${data.aws_caller_identity.c.account_id}:root"}, "Action": "kms:*", "Resource": "*", "Condition": {"StringEquals": {"aws:username": "$${aws:username}"}}}]}
EOF
}
"#;
    let f = read(tf).unwrap();
    let kinds: Vec<_> = f.documents.iter().map(|d| (d.label.as_str(), d.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("aws_iam_role_policy.r.policy", Some(DocKind::Policy(PolicyKind::Identity))),
            ("aws_kms_key.k.policy", Some(DocKind::Policy(PolicyKind::Key))),
        ]
    );
    let r = json(&f.documents[0]);
    assert_eq!(r["Statement"][0]["Resource"], "arn:aws:s3:::b/*");
    let k = &f.documents[1];
    let v = json(k);
    assert_eq!(v["Statement"][0]["Principal"]["AWS"], "arn:aws:iam::111122223333:root");
    assert_eq!(v["Statement"][0]["Condition"]["StringEquals"]["aws:username"], "${aws:username}");
    // Heredoc text is copied verbatim: `"kms:*"` maps to its own bytes.
    let inner = k.text.find("\"kms:*\"").unwrap();
    assert_eq!(outer(k, inner), tf.find("\"kms:*\"").unwrap());
    assert_eq!(outer(k, inner + 3), tf.find("\"kms:*\"").unwrap() + 3);
}

#[test]
fn policies_computed_elsewhere_are_listed_not_read() {
    let tf = "resource \"aws_iam_policy\" \"p\" {\n  policy = var.policy\n}\n";
    let f = read(tf).unwrap();
    assert!(f.documents.is_empty());
    assert_eq!(f.unread.len(), 1);
    assert_eq!(f.unread[0].span.start as usize, tf.find("var.policy").unwrap());
    assert!(f.unread[0].message.contains("aws_iam_policy.p.policy"), "{}", f.unread[0].message);
}

#[test]
fn a_syntax_error_is_reported_at_its_place() {
    let tf = "resource \"aws_kms_key\" \"k\" {\n  policy = jsonencode({\n}\n";
    let e = read(tf).unwrap_err();
    assert_eq!(e.code, SYNTAX);
    assert!(e.span.start as usize <= tf.len());
    assert!(e.message.starts_with("the file is not valid HCL"), "{}", e.message);
}

#[test]
fn placeholders_are_shaped_like_the_value() {
    use render::{placeholder, Ctx};
    let p = placeholder;
    assert_eq!(p("data.aws_caller_identity.current.account_id", Ctx::Other), "111122223333");
    assert_eq!(p("data.aws_region.current.name", Ctx::Other), "us-east-1");
    assert_eq!(p("aws_iam_role.app.arn", Ctx::Other), "arn:aws:iam::111122223333:role/app");
    assert_eq!(p("var.admins", Ctx::Principal), "arn:aws:iam::111122223333:role/admins");
    assert_eq!(p("local.x", Ctx::Other), "placeholder");
}
