//! Native tests of `explain_service_call` (the same function the WASM exports).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use serde_json::{json, Value};

const KEY: &str = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const ID: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject","kms:GenerateDataKey"],"Resource":"*"}]}"#;

fn call(service_call: Value) -> Value {
    let bundle = json!({
        "identity_policies": [{"name": "uploader", "text": ID}],
        "request": {"principal": "arn:aws:sts::111122223333:assumed-role/Up/s", "service_call": service_call},
    });
    keyward_bundle::service_call::run(&bundle.to_string())
}

#[test]
fn an_s3_upload_is_the_s3_action_then_generate_data_key_through_s3() {
    let r = call(
        json!({"service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::b/k", "key": KEY}),
    );
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["decision"], "Allow", "{r}");
    assert_eq!(r["kms_actions"], json!(["kms:GenerateDataKey"]));
    assert_eq!(r["steps"][1]["rule"], "key_policy_delegates_to_iam", "{r}");
}

#[test]
fn a_key_of_another_region_and_unknown_operations() {
    let west = "arn:aws:kms:us-west-2:111122223333:key/k";
    let r = call(
        json!({"service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::b/k", "key": west}),
    );
    assert_eq!(r["decision"], "NotFoundException", "{r}");
    assert!(r["error"]["why"].as_str().unwrap().contains("regional"));
    let r =
        call(json!({"service": "s3", "operation": "PutObjekt", "resource": "arn:aws:s3:::b/k"}));
    assert_eq!(
        (r["ok"].clone(), r["error"]["field"].clone()),
        (json!(false), json!("request.service_call.operation")),
        "{r}"
    );
    let r = call(
        json!({"service": "s3", "operation": "PutObject", "resource": "arn:aws:s3:::b/k", "key": "alias/aws/s3"}),
    );
    assert_eq!(r["decision"], "Allow", "{r}");
}
