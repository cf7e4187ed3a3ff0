//! keyward-core: parse and evaluate AWS authorization the way AWS does, and explain why.
//!
//! This crate is pure: it performs no file or network I/O and reads no clock, environment or
//! random source. Time and every other input arrive as arguments, which is what lets it run in
//! the browser (wasm32) and makes every decision reproducible.

pub mod diag;
pub mod eval;
pub mod json;
pub mod model;
pub mod parse;
pub mod pattern;
pub mod span;
