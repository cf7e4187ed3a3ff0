//! The envelope file format of `keyward encrypt-file`: an authenticated header carrying the
//! encrypted data key and encryption context, then AES-256-GCM chunks with per-chunk nonces.
