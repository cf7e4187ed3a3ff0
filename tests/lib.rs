//! Integration tests of keyward live in `tests/*.rs` beside the corpora they read.
