//! The Query protocol's edges: form decoding (escapes, `+`, bad escapes named), member lists,
//! and the XML envelopes (escaping, AWS's error shape).

use keyward_iam::query::{url_encode, Params};
use keyward_iam::{xml, IamError, Service};

#[test]
fn form_bodies_decode_as_aws_sdks_encode_them() {
    let cases: &[(&str, &str, &str)] = &[
        ("Action=GetUser&UserName=a%2Bb", "UserName", "a+b"),
        ("Action=GetUser&UserName=a+b", "UserName", "a b"),
        ("Action=X&PolicyDocument=%7B%22a%22%3A1%7D", "PolicyDocument", "{\"a\":1}"),
        ("Action=X&Empty=", "Empty", ""),
        ("Action=X&Snow=%E2%9D%84", "Snow", "\u{2744}"),
    ];
    for (body, key, want) in cases {
        let p = match Params::parse(None, body.as_bytes()) {
            Ok(p) => p,
            Err(e) => panic!("{body}: {e:?}"),
        };
        assert_eq!(p.get(key), Some(*want), "{body}");
    }
    for bad in ["Action=X&A=%4", "Action=X&A=%zz", "Action=X&A=%FF"] {
        let e = Params::parse(None, bad.as_bytes()).err();
        assert_eq!(e.map(|e| e.code), Some("MalformedQueryString".to_string()), "{bad}");
    }
}

#[test]
fn member_lists_stop_at_the_first_gap() {
    let p = Params::from_pairs([
        ("TagKeys.member.1", "a"),
        ("TagKeys.member.2", "b"),
        ("TagKeys.member.4", "d"),
        ("Tags.member.1.Key", "k"),
        ("Tags.member.1.Value", "v"),
    ]);
    assert_eq!(p.list("TagKeys"), vec!["a", "b"]);
    let tags = p.structs("Tags", &["Key", "Value"]);
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].get("Value").map(String::as_str), Some("v"));
    assert_eq!(
        p.required("UserName").err().map(|e| e.message),
        Some(
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: \
         Member must not be null"
                .to_string()
        )
    );
}

#[test]
fn errors_and_results_have_aws_shapes() {
    let e = IamError::new(404, "NoSuchEntity", "The user with name <x> cannot be found.");
    let body = xml::error(Service::Iam, &e, "rid-1");
    assert_eq!(
        body.trim_end(),
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender\
         </Type><Code>NoSuchEntity</Code><Message>The user with name &lt;x&gt; cannot be found.\
         </Message></Error><RequestId>rid-1</RequestId></ErrorResponse>"
    );
    let mut x = xml::Xml::new();
    x.leaf("Account", "111122223333");
    let ok = xml::response(Service::Sts, "GetCallerIdentity", &x, "rid-2");
    assert!(ok.starts_with(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
         <GetCallerIdentityResult><Account>111122223333</Account></GetCallerIdentityResult>\
         <ResponseMetadata><RequestId>rid-2</RequestId></ResponseMetadata>"
    ));
    assert_eq!(url_encode("{\"A\": \"b/c\"}"), "%7B%22A%22%3A%20%22b%2Fc%22%7D");
}
