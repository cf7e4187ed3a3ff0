//! The connection table: how many connections the server holds, per client address and in
//! all, and which to close when a new one arrives at a limit.
//!
//! A connection is *busy* from the moment its request (headers and body) has fully arrived
//! until its reply is ready; otherwise it is *waiting* (reading headers or a body, or idle
//! between keep-alive requests) since some instant. When a limit is reached, the connection
//! that has been waiting longest is closed to make room: a slowloris client that dribbles its
//! headers, or an idle keep-alive connection, goes before any connection that has sent a
//! complete request. A connection that has waited less than a short grace period (100 ms) is
//! not closed either: that is the reserve in which a new connection delivers its request. Only
//! when no connection may be closed does a new one wait for a slot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// One connection's entry.
#[derive(Debug)]
struct Slot {
    ip: IpAddr,
    busy: bool,
    /// When it started waiting (accepted, or its last reply was ready).
    since: Instant,
    /// Notified to close the connection.
    evict: Arc<Notify>,
}

/// The connection table shared by the accept loop and the connections.
#[derive(Debug)]
pub(crate) struct Conns {
    slots: Mutex<(u64, HashMap<u64, Slot>)>,
    /// Notified whenever a slot is freed (for a new connection waiting on a full table).
    pub(crate) freed: Notify,
    max: usize,
    per_ip: usize,
    grace: Duration,
}

/// An admitted connection: its id and the signal that closes it.
#[derive(Debug)]
pub(crate) struct Admitted {
    pub(crate) id: u64,
    pub(crate) evict: Arc<Notify>,
}

impl Conns {
    /// A table of at most `max` connections, `per_ip` per client address; a connection that
    /// has waited less than `grace` is not closed to make room.
    pub(crate) fn new(max: usize, per_ip: usize, grace: Duration) -> Conns {
        Conns {
            slots: Mutex::new((0, HashMap::new())),
            freed: Notify::new(),
            max: max.max(1),
            per_ip: per_ip.max(1),
            grace,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<u64, Slot>)> {
        self.slots.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Admits a connection from `ip`, closing the longest-waiting connection (of that address
    /// when its own limit is reached, else of any) to make room. `None` when every connection
    /// that would have to go is busy: the caller waits for [`Conns::freed`] and tries again.
    pub(crate) fn admit(&self, ip: IpAddr) -> Option<Admitted> {
        let mut guard = self.lock();
        let (next, slots) = &mut *guard;
        let now = Instant::now();
        let grace = self.grace;
        let old = |s: &Slot| now.saturating_duration_since(s.since) >= grace;
        if slots.values().filter(|s| s.ip == ip).count() >= self.per_ip
            && !evict_oldest(slots, |s| s.ip == ip && old(s))
        {
            return None;
        }
        if slots.len() >= self.max && !evict_oldest(slots, old) {
            return None;
        }
        *next += 1;
        let evict = Arc::new(Notify::new());
        let slot = Slot { ip, busy: false, since: Instant::now(), evict: Arc::clone(&evict) };
        slots.insert(*next, slot);
        Some(Admitted { id: *next, evict })
    }

    /// Marks a connection busy (its request has fully arrived) or waiting again.
    pub(crate) fn set_busy(&self, id: u64, busy: bool) {
        if let Some(s) = self.lock().1.get_mut(&id) {
            s.busy = busy;
            if !busy {
                s.since = Instant::now();
            }
        }
    }

    /// Forgets a connection that ended.
    pub(crate) fn remove(&self, id: u64) {
        if self.lock().1.remove(&id).is_some() {
            self.freed.notify_one();
        }
    }

    /// Connections held now.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().1.len()
    }
}

/// Closes the waiting connection matching `which` that has waited longest; false if none.
fn evict_oldest(slots: &mut HashMap<u64, Slot>, which: impl Fn(&Slot) -> bool) -> bool {
    let victim = slots
        .iter()
        .filter(|(_, s)| !s.busy && which(s))
        .min_by_key(|(id, s)| (s.since, **id))
        .map(|(id, _)| *id);
    match victim.and_then(|id| slots.remove(&id)) {
        Some(s) => {
            s.evict.notify_one();
            true
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_waiting_goes_first_and_busy_ones_stay() {
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let c = Conns::new(3, 2, Duration::ZERO);
        let first = c.admit(a).map(|x| x.id).unwrap_or(0);
        let second = c.admit(a).map(|x| x.id).unwrap_or(0);
        c.set_busy(first, true);
        // Per-address limit: the waiting one of that address goes, the busy one stays.
        let third = c.admit(a).map(|x| x.id).unwrap_or(0);
        assert_eq!(c.len(), 2);
        c.set_busy(third, true);
        // Both of `a` busy: another from `a` must wait; `b` is admitted (3 in all).
        assert!(c.admit(a).is_none());
        assert!(c.admit(b).is_some());
        // Full, and the only waiting one is `b`'s: it goes for a new `b`.
        assert!(c.admit(b).is_some());
        assert_eq!(c.len(), 3);
        c.remove(second);
        c.remove(first);
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn a_new_connection_is_not_closed_within_the_grace_period() {
        let a: IpAddr = [127, 0, 0, 1].into();
        let c = Conns::new(1, 1, Duration::from_secs(60));
        assert!(c.admit(a).is_some());
        assert!(c.admit(a).is_none(), "the first is still within its grace period");
    }
}
