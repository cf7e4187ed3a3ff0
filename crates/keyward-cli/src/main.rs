//! keyward CLI entry point.
fn main() {}
