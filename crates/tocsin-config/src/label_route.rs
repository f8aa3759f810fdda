//! `[[route]]` with `match`: a route chosen by a signal's labels rather than its category.

use tocsin_core::matcher::Matchers;

/// A label route: signals whose labels satisfy every matcher go to its escalation policy. Label
/// routes are tried in file order before the category routes; the first that matches wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelRoute {
    /// Makes this `[[route]]` a label route, which has no `category`: label → value, or `~regex`
    /// matched against the whole value, like `{ service = "checkout", env = "~prod.*" }`; every
    /// one must hold. Label routes are tried in file order before the category routes, and the
    /// first that matches wins. Regexes are compiled when the file loads (docs/routing.md).
    pub matchers: Matchers,
    /// Heading shown for this kind of incident, like `"Checkout in production"`. Default: the
    /// matchers as written.
    pub title: String,
    /// The escalation policy that pages people for incidents this route matches.
    pub escalation: Option<String>,
    /// Contacts shown as the outside parties to call.
    pub call: Vec<String>,
    /// The runbook of this route's incidents whose monitor or integration names none.
    pub runbook: Option<String>,
}
