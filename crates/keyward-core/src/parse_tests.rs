//! Parser unit tests.
use super::*;
