//! The live configuration: the configuration file and everything the engine derives from it
//! (the core's policy, the channels and their senders, the on-call schedules, the monitors'
//! lookups), built whole from one file and held as one unit. A reload (`reload.rs`) builds the
//! next one beside it and swaps it in at once; work already under way keeps the `Arc` it took
//! when it started, so a page, a probe or a decision never sees half of two files.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use tocsin_config::{Config, Monitor};
use tocsin_core::decide::Policy;
use tocsin_core::oncall::ScheduleSpec;
use tocsin_notify::{Sender, Target};

/// One configuration and what the engine derives from it.
pub(crate) struct Live {
    pub(crate) config: Arc<Config>,
    pub(crate) policy: Policy,
    /// Channels by id. A delivery looks its channel up here when it is sent, so a page queued
    /// before a reload goes where the channel points after it.
    pub(crate) targets: HashMap<String, Target>,
    /// The senders: pages, status-page and customer mail, the drill and the review digest all
    /// send through them.
    pub(crate) sender: Sender,
    pub(crate) schedules: Vec<ScheduleSpec>,
    /// Heartbeat ping keys → monitor ids.
    pub(crate) ping_keys: HashMap<String, String>,
    /// Monitor ids → their place in the configuration's list: every probe looks its monitor
    /// up, and a scan of 10,000 monitors per probe was 8 % of the probe path's CPU.
    monitor_index: HashMap<String, usize>,
    /// The ids of every probed monitor, which replicas share (`ownership.rs`).
    pub(crate) probed: Vec<String>,
}

impl Live {
    /// Everything `config` implies, sending through `sender` (built for its `[smtp]`).
    pub(crate) fn build(config: Arc<Config>, sender: Sender) -> Live {
        let targets = crate::policy::targets(&config);
        Live {
            policy: crate::policy::policy(&config, &targets),
            targets,
            sender,
            schedules: crate::oncall::schedules(&config),
            ping_keys: crate::heartbeat::ping_keys(&config),
            monitor_index: config
                .monitors
                .iter()
                .enumerate()
                .map(|(index, monitor)| (monitor.id.clone(), index))
                .collect(),
            probed: config
                .monitors
                .iter()
                .filter(|monitor| crate::probes::is_probed(monitor))
                .map(|monitor| monitor.id.clone())
                .collect(),
            config,
        }
    }

    /// The configured monitor with this id.
    pub(crate) fn monitor(&self, id: &str) -> Option<&Monitor> {
        let index = *self.monitor_index.get(id)?;
        self.config.monitors.get(index)
    }
}

/// Where the live configuration is held: a lock around an `Arc`, taken only for as long as it
/// takes to copy or replace the pointer.
pub(crate) struct LiveSlot(RwLock<Arc<Live>>);

impl LiveSlot {
    pub(crate) fn new(live: Live) -> Self {
        LiveSlot(RwLock::new(Arc::new(live)))
    }

    /// The configuration in force now; the caller keeps it for as long as its work lasts.
    pub(crate) fn load(&self) -> Arc<Live> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts `live` in force; answers the one it replaced.
    pub(crate) fn swap(&self, live: Live) -> Arc<Live> {
        let mut slot = self.0.write().unwrap_or_else(PoisonError::into_inner);
        std::mem::replace(&mut *slot, Arc::new(live))
    }
}
