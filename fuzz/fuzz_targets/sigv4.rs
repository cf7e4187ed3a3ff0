//! Fuzz target: the server's request parsing: the SigV4 `Authorization` header, `X-Amz-Date`,
//! and the `X-Amz-Target` operation lookup.
#![no_main]
use keyward_server::handler::operation;
use keyward_server::sigv4::{parse_amz_date, parse_authorization};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse_authorization(text);
    let _ = parse_amz_date(text);
    let _ = operation(Some(text));
});
