//! The public status page (spec/API.md "Status page"): the HTML page, its Atom feed, the
//! Statuspage-compatible JSON, and e-mail subscriptions. No sign-in anywhere here.
//!
//! Everything is drawn from one [`Snapshot`] of the store, rebuilt when the engine's generation
//! moves (a commit touched incidents), when the day changes, or after a minute at most (other
//! processes' commits, uptime). `/status` and `summary.json` are rendered once per snapshot and
//! kept brotli-compressed and gzipped too (`encoding.rs`), so a traffic spike during an outage
//! costs no database work, no rendering and no compressing. Uptime (90 days of outage
//! intervals) is the costly read; it has its own five-minute cache.

mod encoding;
mod feed;
mod i18n;
mod page;
mod sign_up_limit;
mod statuspage_json;
mod subscribe;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::extract::Extension;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::routing::get;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use minijinja::Environment;
use tocsin_core::incident::Incident;
use tocsin_core::public_update::PublicUpdate;
use tocsin_core::status::{self as core_status, ComponentStatus, Impact, OpenImpact};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState};
use encoding::Rendered;

/// The window of the uptime bars and the incident history.
const DAYS: u32 = 90;
/// A snapshot is rebuilt at least this often, whatever the generation says.
const SNAPSHOT_MAX_AGE: SignedDuration = SignedDuration::from_secs(60);
/// Uptime is reread at least this often.
const UPTIME_MAX_AGE: SignedDuration = SignedDuration::from_secs(300);
/// What browsers and proxies may reuse: short, so an outage shows within half a minute.
const CACHE_CONTROL: &str = "public, max-age=30";

/// The pages (HTML, feed, subscriptions) and the Statuspage JSON; the JSON is registered from
/// its handlers' `#[utoipa::path]`, so it is in `/api/v1/openapi.json`.
pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .route("/status", get(page::page))
        .route("/status/feed.atom", get(feed::feed))
        .route(
            "/status/subscribe",
            axum::routing::post(subscribe::subscribe),
        )
        .route(
            "/status/confirm/{token}",
            get(subscribe::show_confirm).post(subscribe::confirm),
        )
        .route(
            "/status/unsubscribe/{token}",
            get(subscribe::show_unsubscribe).post(subscribe::unsubscribe),
        )
        .routes(routes!(statuspage_json::summary))
        .routes(routes!(statuspage_json::status))
        .routes(routes!(statuspage_json::components))
        .routes(routes!(statuspage_json::incidents))
        .routes(routes!(statuspage_json::unresolved))
        .layer(Extension(Arc::new(Status::new())))
}

/// The status page's own state: templates and caches (one per router).
pub(crate) struct Status {
    templates: Environment<'static>,
    snapshot: RwLock<Option<Arc<Cached>>>,
    /// Held by the one request rebuilding the snapshot.
    rebuilding: tokio::sync::Mutex<()>,
    uptime: RwLock<Option<Arc<UptimeCache>>>,
    /// The newest rendering per key, whichever snapshot it is of (with that snapshot's instant):
    /// what others are served while one request renders the current snapshot's.
    latest: Mutex<HashMap<String, (Timestamp, Arc<Rendered>)>>,
    /// The page's stable id and birth, read from the store once.
    identity: tokio::sync::OnceCell<(String, Timestamp)>,
    /// How many sign-ups the form takes, per client address and overall.
    sign_ups: sign_up_limit::SignUpLimits,
}

impl std::fmt::Debug for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Status")
    }
}

type Shared = Extension<Arc<Status>>;

/// A snapshot and what was rendered from it, by key (`page:ar`, `summary`).
struct Cached {
    generation: u64,
    snapshot: Arc<Snapshot>,
    rendered: Mutex<HashMap<String, Arc<Slot>>>,
}

/// One key's rendering from one snapshot: done once, by one request.
#[derive(Default)]
struct Slot {
    done: OnceLock<Arc<Rendered>>,
    /// Held by the one request rendering it.
    rendering: tokio::sync::Mutex<()>,
}

struct UptimeCache {
    built_at: Timestamp,
    first_day: Timestamp,
    /// Per component, in configured order.
    uptime: Vec<core_status::Uptime>,
}

/// Short caching, and for the JSON, readable from any origin (widgets, aggregators).
fn public_headers(headers: &mut HeaderMap, cors: bool) {
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(CACHE_CONTROL),
    );
    if cors {
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
    }
}

/// One component as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct ComponentView {
    pub id: String,
    pub name: String,
    /// 1-based, in configured order.
    pub position: usize,
    pub status: ComponentStatus,
    pub uptime: core_status::Uptime,
    pub updated_at: Timestamp,
}

/// An incident the public may see, with its public updates (newest first).
#[derive(Debug, Clone)]
pub(crate) struct PublicIncident {
    pub incident: Incident,
    pub impact: Impact,
    /// Its effect on its component, when that component is shown.
    pub effect: ComponentStatus,
    /// The shown component it names.
    pub component: Option<(String, String)>,
    pub updates: Vec<PublicUpdate>,
    pub updated_at: Timestamp,
    /// Its public title per offered locale (never `incident.title`, which is internal).
    pub titles: HashMap<String, String>,
}

impl PublicIncident {
    pub fn status(&self) -> &'static str {
        core_status::public_state(self.incident.state)
    }

    /// The public title in `locale`, one of the page's locales (every one has its title).
    pub fn title(&self, locale: &str) -> &str {
        self.titles
            .get(locale)
            .or_else(|| self.titles.values().next())
            .map_or("", String::as_str)
    }
}

/// Everything the public side shows, read at one instant.
#[derive(Debug)]
pub(crate) struct Snapshot {
    pub now: Timestamp,
    pub page_id: String,
    pub created_at: Timestamp,
    pub title: String,
    pub org: String,
    /// The status page's URL.
    pub url: String,
    pub public_url: String,
    pub tz: TimeZone,
    pub time_zone: String,
    /// The configured default language, and all the page offers.
    pub locale: String,
    pub locales: Vec<String>,
    pub components: Vec<ComponentView>,
    pub indicator: Impact,
    /// Open ones and those of the last 90 days, newest first.
    pub incidents: Vec<PublicIncident>,
    /// `DAYS + 1` day boundaries (see `tocsin_core::status::day_starts`).
    pub day_starts: Vec<Timestamp>,
    pub updated_at: Timestamp,
    pub subscriptions_open: bool,
    /// Maintenance windows in force or starting within a week, earliest first.
    pub maintenance: Vec<MaintenanceView>,
    /// When the next window starts or ends: the snapshot is stale from then on.
    pub maintenance_edge: Option<Timestamp>,
}

/// How far ahead the page lists scheduled maintenance.
const MAINTENANCE_AHEAD: SignedDuration = SignedDuration::from_hours(7 * 24);

/// One occurrence of a maintenance window, as the page shows it.
#[derive(Debug, Clone)]
pub(crate) struct MaintenanceView {
    pub id: String,
    pub title: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// In force now (else scheduled).
    pub active: bool,
    /// The shown components it covers: (id, name).
    pub components: Vec<(String, String)>,
}

impl Snapshot {
    /// `?lang=` when the organisation offers it, else the page's configured language.
    pub fn locale(&self, requested: Option<&str>) -> &str {
        requested
            .and_then(|lang| self.locales.iter().find(|known| *known == lang))
            .map_or(self.locale.as_str(), String::as_str)
    }

    pub fn open(&self) -> impl Iterator<Item = &PublicIncident> {
        self.incidents.iter().filter(|i| i.incident.state.is_open())
    }
}

impl Status {
    fn new() -> Self {
        let mut templates = Environment::new();
        for (name, source) in [
            (
                "status/base.html",
                include_str!("../../templates/status/base.html"),
            ),
            (
                "status/page.html",
                include_str!("../../templates/status/page.html"),
            ),
            (
                "status/message.html",
                include_str!("../../templates/status/message.html"),
            ),
        ] {
            // Compiled in; a syntax error is caught by the tests that render each page.
            if let Err(error) = templates.add_template(name, source) {
                tracing::error!(%error, template = name, "a status template does not compile");
            }
        }
        Status {
            templates,
            snapshot: RwLock::new(None),
            rebuilding: tokio::sync::Mutex::new(()),
            uptime: RwLock::new(None),
            latest: Mutex::new(HashMap::new()),
            identity: tokio::sync::OnceCell::new(),
            sign_ups: sign_up_limit::SignUpLimits::default(),
        }
    }

    fn render(&self, name: &str, context: minijinja::Value) -> Result<String, ApiError> {
        self.templates
            .get_template(name)
            .and_then(|template| template.render(context))
            .map_err(|error| {
                tracing::error!(%error, template = name, "status page rendering failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the status page could not be rendered",
                )
            })
    }

    /// The current snapshot, rebuilt when stale.
    async fn current(&self, state: &AppState) -> Result<Arc<Cached>, ApiError> {
        // Read before loading: a commit landing mid-load moves it, and the next request reloads.
        let generation = state.engine.generation();
        let now = state.engine.now();
        let cached = self
            .snapshot
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let fresh = |cached: &Cached| {
            cached.generation == generation
                && now.duration_since(cached.snapshot.now) < SNAPSHOT_MAX_AGE
                && now >= cached.snapshot.now
                && cached
                    .snapshot
                    .day_starts
                    .last()
                    .is_some_and(|tomorrow| now < *tomorrow)
                && cached
                    .snapshot
                    .maintenance_edge
                    .is_none_or(|edge| now < edge)
        };
        // One request rebuilds; while it does, the others serve the copy they have rather
        // than all rebuilding at once (which stalled the page for seconds under load).
        let _rebuilding = match cached {
            Some(cached) if fresh(&cached) => return Ok(cached),
            Some(cached) => match self.rebuilding.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(cached),
            },
            None => {
                let guard = self.rebuilding.lock().await;
                let built = self
                    .snapshot
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .clone();
                if let Some(built) = built.filter(|built| fresh(built)) {
                    return Ok(built);
                }
                guard
            }
        };
        let snapshot = Arc::new(self.load(state, now).await?);
        let cached = Arc::new(Cached {
            generation,
            snapshot,
            rendered: Mutex::new(HashMap::new()),
        });
        *self
            .snapshot
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(cached.clone());
        Ok(cached)
    }

    /// What was rendered under `key` from `cached` (the current snapshot), rendering it if needed.
    ///
    /// One request renders and compresses (tens of milliseconds for a page of a thousand
    /// components), on the blocking pool so the async workers keep answering; meanwhile the
    /// others are served the previous snapshot's rendering, as they are served the previous
    /// snapshot while it is rebuilt. Only the very first rendering of a key is waited for.
    async fn rendered(
        self: &Arc<Self>,
        cached: &Cached,
        key: String,
        render: impl FnOnce(&Status, &Snapshot) -> Result<Rendered, ApiError> + Send + 'static,
    ) -> Result<Arc<Rendered>, ApiError> {
        let slot = {
            let mut slots = cached
                .rendered
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            match slots.get(&key) {
                Some(slot) => slot.clone(),
                None => slots.entry(key.clone()).or_default().clone(),
            }
        };
        if let Some(done) = slot.done.get() {
            return Ok(done.clone());
        }
        let _rendering = match slot.rendering.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                let latest = self
                    .latest
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .get(&key)
                    .map(|(_, rendered)| rendered.clone());
                match latest {
                    Some(latest) => return Ok(latest),
                    None => slot.rendering.lock().await,
                }
            }
        };
        if let Some(done) = slot.done.get() {
            return Ok(done.clone());
        }
        let status = Arc::clone(self);
        let snapshot = Arc::clone(&cached.snapshot);
        let done = tokio::task::spawn_blocking(move || render(&status, &snapshot))
            .await
            .map_err(|error| {
                tracing::error!(%error, key = %key, "status page rendering stopped before it finished");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the status page could not be rendered",
                )
            })??;
        let done = Arc::new(done);
        let done = slot.done.get_or_init(|| done).clone();
        let mut latest = self
            .latest
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let at = cached.snapshot.now;
        if latest.get(&key).is_none_or(|(built, _)| *built <= at) {
            latest.insert(key, (at, done.clone()));
        }
        Ok(done)
    }

    async fn identity(
        &self,
        state: &AppState,
        now: Timestamp,
    ) -> Result<(String, Timestamp), ApiError> {
        self.identity
            .get_or_try_init(|| async {
                Ok::<_, ApiError>(state.engine.status_page_identity(now).await?)
            })
            .await
            .cloned()
    }

    async fn load(&self, state: &AppState, now: Timestamp) -> Result<Snapshot, ApiError> {
        let engine = &state.engine;
        let config = engine.config();
        let page = config
            .status_page
            .as_ref()
            .ok_or_else(|| ApiError::not_found("this tocsin has no status page ([status_page])"))?;
        let tz = config.org.time_zone();
        let day_starts = core_status::day_starts(now, &tz, DAYS).map_err(|error| {
            tracing::error!(%error, "cannot compute the status page's days");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the status page could not be built",
            )
        })?;
        let first_day = day_starts.first().copied().unwrap_or(now);
        let (page_id, created_at) = self.identity(state, now).await?;

        let incidents = engine.status_incidents(first_day).await?;
        let ids: Vec<String> = incidents.iter().map(|i| i.id.clone()).collect();
        let mut updates: HashMap<String, Vec<PublicUpdate>> = HashMap::new();
        for update in engine.public_updates(&ids).await? {
            updates
                .entry(update.incident_id.clone())
                .or_default()
                .push(update);
        }

        // What each severity does: its impact by rank, its configured effect on a component.
        let severity = |id: &str| {
            config
                .severities
                .iter()
                .position(|severity| severity.id == id)
                .map(|rank| {
                    let effect = config
                        .severities
                        .get(rank)
                        .map_or(ComponentStatus::Operational, |severity| {
                            severity.component_status()
                        });
                    (Impact::for_rank(rank), effect)
                })
                .unwrap_or((Impact::None, ComponentStatus::Operational))
        };
        let shown = |component: Option<&str>| {
            component.and_then(|id| page.components.iter().find(|c| c.id == id))
        };

        let mut public = Vec::new();
        for incident in incidents {
            let (impact, effect) = severity(&incident.severity);
            let component = shown(incident.component.as_deref());
            let effect = if component.is_some() {
                effect
            } else {
                ComponentStatus::Operational
            };
            let updates = updates.remove(&incident.id).unwrap_or_default();
            if !core_status::is_public(effect, updates.len()) {
                continue;
            }
            let updated_at = [
                Some(incident.opened_at),
                incident.acknowledged_at,
                incident.resolved_at,
                updates.first().map(|u| u.at),
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(incident.opened_at);
            let titles = config
                .org
                .locales
                .iter()
                .chain(std::iter::once(&page.locale))
                .map(|locale| (locale.clone(), engine.public_title(&incident, locale)))
                .collect();
            public.push(PublicIncident {
                titles,
                component: component.map(|c| (c.id.clone(), c.name.clone())),
                incident,
                impact,
                effect,
                updates,
                updated_at,
            });
        }

        let open: Vec<OpenImpact<'_>> = public
            .iter()
            .filter(|i| i.incident.state.is_open())
            .map(|i| OpenImpact {
                component: i.component.as_ref().map(|(id, _)| id.as_str()),
                status: i.effect,
                impact: i.impact,
            })
            .collect();
        let ids: Vec<&str> = page.components.iter().map(|c| c.id.as_str()).collect();
        let mut statuses = core_status::component_statuses(&ids, &open);
        // A component under maintenance says so, unless an outage is worse.
        for (status, id) in statuses.iter_mut().zip(&ids) {
            if engine.maintenance_for_component(id, now).is_some() {
                *status = (*status).max(ComponentStatus::UnderMaintenance);
            }
        }
        let horizon = now.saturating_add(MAINTENANCE_AHEAD).unwrap_or(now);
        let windows = engine.maintenance_between(now, horizon);
        let maintenance_edge = windows
            .iter()
            .flat_map(|(_, w)| [w.start, w.end])
            .filter(|edge| *edge > now)
            .min();
        let maintenance = windows
            .into_iter()
            .map(|(window, w)| MaintenanceView {
                id: window.id.clone(),
                title: window.title.clone(),
                start: w.start,
                end: w.end,
                active: w.contains(now),
                components: page
                    .components
                    .iter()
                    .filter(|component| {
                        window.components.contains(&component.id)
                            || config.monitors.iter().any(|monitor| {
                                monitor.component.as_deref() == Some(component.id.as_str())
                                    && window.monitors.contains(&monitor.id)
                            })
                    })
                    .map(|component| (component.id.clone(), component.name.clone()))
                    .collect(),
            })
            .collect();
        let indicator = core_status::indicator(&open);
        let uptime = self.uptime(state, &day_starts, now).await?;

        let components = page
            .components
            .iter()
            .zip(statuses)
            .enumerate()
            .map(|(index, (component, status))| {
                let updated_at = public
                    .iter()
                    .filter(|i| {
                        i.component
                            .as_ref()
                            .is_some_and(|(id, _)| *id == component.id)
                    })
                    .flat_map(|i| [Some(i.incident.opened_at), i.incident.resolved_at])
                    .flatten()
                    .max()
                    .unwrap_or(created_at);
                ComponentView {
                    id: component.id.clone(),
                    name: component.name.clone(),
                    position: index + 1,
                    status,
                    uptime: uptime.get(index).cloned().unwrap_or(core_status::Uptime {
                        days: vec![None; day_starts.len().saturating_sub(1)],
                        overall: None,
                    }),
                    updated_at,
                }
            })
            .collect();
        let updated_at = public
            .iter()
            .map(|i| i.updated_at)
            .max()
            .unwrap_or(created_at)
            .max(created_at);
        let public_url = config.server.public_url.trim_end_matches('/').to_owned();
        Ok(Snapshot {
            now,
            page_id,
            created_at,
            title: page.title.clone(),
            org: config.org.name.clone(),
            url: format!("{public_url}/status"),
            public_url,
            tz,
            time_zone: config.org.timezone.clone(),
            locale: page.locale.clone(),
            locales: config.org.locales.clone(),
            components,
            indicator,
            incidents: public,
            day_starts,
            updated_at,
            subscriptions_open: engine.subscriptions_open(),
            maintenance,
            maintenance_edge,
        })
    }

    /// Each component's uptime, from the five-minute cache or the store.
    async fn uptime(
        &self,
        state: &AppState,
        day_starts: &[Timestamp],
        now: Timestamp,
    ) -> Result<Vec<core_status::Uptime>, ApiError> {
        let first_day = day_starts.first().copied().unwrap_or(now);
        let cached = self
            .uptime
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some(cached) = cached.filter(|cached| {
            cached.first_day == first_day
                && now >= cached.built_at
                && now.duration_since(cached.built_at) < UPTIME_MAX_AGE
        }) {
            return Ok(cached.uptime.clone());
        }
        let config = state.engine.config();
        let mut uptime = Vec::new();
        for component in config.status_page.iter().flat_map(|page| &page.components) {
            // From outage intervals, exact at each day's edges (raw checks are pruned after
            // `engine.keep_raw_checks`; outages are kept 400 days).
            let mut monitors = Vec::new();
            let last_day = day_starts.last().copied().unwrap_or(now);
            for monitor in config
                .monitors
                .iter()
                .filter(|monitor| monitor.component.as_deref() == Some(component.id.as_str()))
            {
                monitors.push(
                    state
                        .engine
                        .monitor_history(&monitor.id, first_day, last_day)
                        .await?,
                );
            }
            uptime.push(tocsin_core::uptime::daily(&monitors, day_starts, now));
        }
        *self
            .uptime
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(UptimeCache {
            built_at: now,
            first_day,
            uptime: uptime.clone(),
        }));
        Ok(uptime)
    }
}

/// The language asked for with `?lang=`.
#[derive(Debug, serde::Deserialize)]
pub(crate) struct LangQuery {
    lang: Option<String>,
}
