//! A counter that moves on every commit that may change incidents, so readers that cache what
//! they render from incidents (the public status page) know when to render again without asking
//! the database on every request.

use std::sync::atomic::Ordering;

use crate::Engine;

impl Engine {
    /// Changes after every committed decision of this process, and whenever another replica
    /// sharing the database changed an incident or its timeline. Equal values mean nothing a
    /// public page shows changed in between (a cache may still bound its age: another replica's
    /// change is heard a moment after its commit).
    pub fn generation(&self) -> u64 {
        self.generation
            .load(Ordering::Acquire)
            .wrapping_add(self.store.changes_elsewhere())
    }

    /// Called after each commit that decided something.
    pub(crate) fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}
