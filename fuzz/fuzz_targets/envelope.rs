//! Fuzz target: envelope-file decoding (`crypto::envelope::read_header`, then
//! `decrypt_stream` with a fixed data key over the rest of the input).
#![no_main]
use keyward_kms::crypto::envelope::{decrypt_stream, read_header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut reader: &[u8] = data;
    let Ok(header) = read_header(&mut reader) else { return };
    let mut out = Vec::new();
    let _ = decrypt_stream(&[7u8; 32], &header, &mut reader, &mut out, &mut |_| {});
});
