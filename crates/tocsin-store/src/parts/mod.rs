//! The store's parts: one trait per concern, which a backend implements side by side with its
//! siblings. Callers that hold an `Arc<dyn Store>` bring the parts into scope with
//! `use tocsin_store::prelude::*`.

mod due_work;
mod follow_up;
mod intake;
mod monitors;
mod people;
mod silences;
mod status_page;

pub use due_work::DueWork;
pub use follow_up::FollowUpStore;
pub use intake::IncidentStore;
pub use monitors::MonitorStore;
pub use people::PeopleStore;
pub use silences::SilenceStore;
pub use status_page::StatusPageStore;
