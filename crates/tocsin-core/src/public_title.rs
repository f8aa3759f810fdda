//! The public title: what the status page, its feeds and customer mail call an incident. An
//! incident's own title often comes from an alert (an exception's text, a query, a hostname), so
//! it never leaves the team; the public sees the affected component's public name and the
//! severity's wording ("Checkout: major outage") unless a person wrote or approved a title.

use crate::status::ComponentStatus;

/// The longest title a person may set: a headline, not a report.
pub const MAX_CHARS: usize = 200;

/// The severity's wording in `locale` (Arabic for `ar…`, English otherwise), lower case so it
/// reads after a component's name. A severity that leaves components alone reads "service issue".
pub fn wording(status: ComponentStatus, locale: &str) -> &'static str {
    let arabic = locale == "ar" || locale.starts_with("ar-");
    match (status, arabic) {
        (ComponentStatus::MajorOutage, false) => "major outage",
        (ComponentStatus::MajorOutage, true) => "انقطاع كامل",
        (ComponentStatus::PartialOutage, false) => "partial outage",
        (ComponentStatus::PartialOutage, true) => "انقطاع جزئي",
        (ComponentStatus::DegradedPerformance, false) => "degraded performance",
        (ComponentStatus::DegradedPerformance, true) => "أداء متدهور",
        (ComponentStatus::UnderMaintenance, false) => "under maintenance",
        (ComponentStatus::UnderMaintenance, true) => "صيانة",
        (ComponentStatus::Operational, false) => "service issue",
        (ComponentStatus::Operational, true) => "مشكلة في الخدمة",
    }
}

/// The title tocsin gives an incident nobody titled for the public: `<component>: <wording>`,
/// or the wording alone (capitalised) when the incident names no component the status page shows.
pub fn derived(component_name: Option<&str>, status: ComponentStatus, locale: &str) -> String {
    let wording = wording(status, locale);
    match component_name
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        Some(name) => format!("{name}: {wording}"),
        None => {
            let mut chars = wording.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(chars).collect()
            })
        }
    }
}

/// The public title in `locale`: the one a person wrote, else the derived one.
pub fn public_title(
    written: Option<&str>,
    component_name: Option<&str>,
    status: ComponentStatus,
    locale: &str,
) -> String {
    written
        .map(str::to_owned)
        .unwrap_or_else(|| derived(component_name, status, locale))
}

/// A title a person typed, made fit for a headline: whitespace runs folded to one space. Refused,
/// saying why, when it is empty, longer than [`MAX_CHARS`] or carries control characters.
pub fn check_written(title: &str) -> Result<String, String> {
    if title.chars().any(|c| c.is_control() && !c.is_whitespace()) {
        return Err("the public title contains control characters".into());
    }
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err("the public title cannot be empty".into());
    }
    let chars = title.chars().count();
    if chars > MAX_CHARS {
        return Err(format!(
            "the public title is {chars} characters; at most {MAX_CHARS}"
        ));
    }
    Ok(title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_component_and_the_severity_wording_make_the_title_in_each_language() {
        assert_eq!(
            derived(Some("Checkout"), ComponentStatus::MajorOutage, "en"),
            "Checkout: major outage"
        );
        assert_eq!(
            derived(Some("Checkout"), ComponentStatus::DegradedPerformance, "en"),
            "Checkout: degraded performance"
        );
        assert_eq!(
            derived(Some("الدفع"), ComponentStatus::PartialOutage, "ar"),
            "الدفع: انقطاع جزئي"
        );
        assert_eq!(
            derived(None, ComponentStatus::MajorOutage, "en"),
            "Major outage"
        );
        assert_eq!(
            derived(Some("  "), ComponentStatus::Operational, "ar"),
            "مشكلة في الخدمة"
        );
    }

    #[test]
    fn a_written_title_wins_in_every_language() {
        assert_eq!(
            public_title(
                Some("Card payments delayed"),
                Some("Checkout"),
                ComponentStatus::MajorOutage,
                "ar"
            ),
            "Card payments delayed"
        );
        assert_eq!(
            public_title(None, Some("Checkout"), ComponentStatus::MajorOutage, "ar"),
            "Checkout: انقطاع كامل"
        );
    }

    #[test]
    fn a_written_title_is_one_line_of_sensible_length() {
        assert_eq!(
            check_written("  Card\n payments   delayed "),
            Ok("Card payments delayed".to_owned())
        );
        assert!(check_written(" \n ").is_err());
        assert!(check_written("bell\u{7}").is_err());
        assert!(check_written(&"x".repeat(MAX_CHARS + 1)).is_err());
        assert!(check_written(&"x".repeat(MAX_CHARS)).is_ok());
    }
}
