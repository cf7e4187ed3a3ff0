//! Key material made ahead of a call. RSA key generation takes up to seconds; a server that
//! runs the KMS under one lock generates the keys a call will need *before* taking the lock
//! (with [`super::asym::rsa_ahead`], on a thread of its own) and hands them to the call with
//! [`scope`]. Inside the scope, the KMS's RSA generation takes a key of the right size from
//! there instead of generating one; without a scope (or with no key of that size) it
//! generates as before. Keys not taken are dropped (and zeroed) when the scope ends.
//!
//! The keys are held for the current thread only, for the duration of the scope: nothing is
//! shared between calls or threads.

use crate::record::Secret;
use std::cell::RefCell;

/// An RSA private key (PKCS#8 DER) of `bits` bits, generated ahead of a call.
#[derive(Debug)]
pub struct PremadeRsa {
    pub(crate) bits: usize,
    pub(crate) der: Secret,
}

thread_local! {
    static RSA: RefCell<Vec<PremadeRsa>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with `keys` available to the KMS's RSA generation on this thread.
pub fn scope<R>(keys: Vec<PremadeRsa>, f: impl FnOnce() -> R) -> R {
    struct Clear;
    impl Drop for Clear {
        fn drop(&mut self) {
            let _ = RSA.try_with(|r| r.borrow_mut().clear());
        }
    }
    RSA.with(|r| *r.borrow_mut() = keys);
    let _clear = Clear;
    f()
}

/// Takes a premade RSA key of `bits` bits, if the current scope holds one.
#[cfg_attr(not(feature = "asymmetric"), allow(dead_code))]
pub(crate) fn take_rsa(bits: usize) -> Option<Secret> {
    RSA.with(|r| {
        let mut keys = r.borrow_mut();
        let i = keys.iter().position(|k| k.bits == bits)?;
        Some(keys.swap_remove(i).der)
    })
}
