//! A counter that moves on every commit that may change incidents, so readers that cache what
//! they render from incidents (the public status page) know when to render again without asking
//! the database on every request.

use std::sync::atomic::Ordering;

use crate::Engine;

impl Engine {
    /// Changes after every committed decision of this process. Equal values mean no incident,
    /// alert or timeline event changed in between (a cache may still bound its age, since other
    /// processes sharing the database do not move this counter).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Called after each commit that decided something.
    pub(crate) fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
