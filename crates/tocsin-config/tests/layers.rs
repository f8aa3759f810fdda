//! `[[schedule]] layers` as the shared team example writes them, the mistakes a layered schedule
//! can have (each named, nothing loaded), and `[[severity]] page`.

use std::path::Path;
use std::time::Duration;

use jiff::civil::{Time, Weekday};
use tocsin_config::{Config, ConfigErrors, load_str};

const BASE: &str = r#"[org]
name = "Dealix"
timezone = "Asia/Riyadh"

[[severity]]
id = "SEV-1"
respond_within = "15m"
notify = ["team"]

[[channel]]
id = "team"
type = "slack"
webhook_url = "https://hooks.example/x"

[smtp]
host = "smtp.example.com"
from = "tocsin@example.com"

[[contact]]
id = "sami"
email = "sami@example.com"
methods = ["email"]

[[contact]]
id = "lina"
email = "lina@example.com"
methods = ["email"]
"#;

/// The `[[schedule]]` of the shared team example (spec/team.example.toml), as written there.
const TEAM_EXAMPLE_SCHEDULE: &str = r#"
# Schedules may have several layers; a later layer wins where it has someone on call.
[[schedule]]
id = "backend-layered"
timezone = "Asia/Riyadh"
layers = [
  { members = ["sami"], every = "1w", handoff = "sun 09:00" },
  { members = ["sami"], every = "1d", handoff = "09:00", days = ["sun", "mon", "tue", "wed", "thu"], until = "17:00" },
]
"#;

fn env(_: &str) -> Option<String> {
    None
}

fn load(extra: &str) -> Result<Config, ConfigErrors> {
    load_str(
        &format!("{BASE}\n{extra}"),
        Path::new("tests/fixtures/tocsin.toml"),
        &env,
    )
}

fn errors(extra: &str) -> String {
    match load(extra) {
        Ok(_) => panic!("expected errors for:\n{extra}"),
        Err(errors) => errors.to_string(),
    }
}

fn hm(hour: i8, minute: i8) -> Time {
    Time::new(hour, minute, 0, 0).unwrap()
}

#[test]
fn the_team_examples_layers_load_as_written() {
    let config = load(TEAM_EXAMPLE_SCHEDULE).unwrap();
    let schedule = config.schedule("backend-layered").unwrap();
    assert_eq!(schedule.rotation, None);
    assert_eq!(schedule.layers.len(), 2);
    let (base, day) = (&schedule.layers[0], &schedule.layers[1]);
    assert_eq!(base.members, ["sami"]);
    assert_eq!(base.every, Duration::from_secs(7 * 86_400));
    assert_eq!(base.handoff.weekday, Some(Weekday::Sunday));
    assert_eq!(base.handoff.time, hm(9, 0));
    assert_eq!((base.days.clone(), base.until), (None, None));
    assert_eq!(day.every, Duration::from_secs(86_400));
    assert_eq!(day.handoff.weekday, None);
    assert_eq!(day.handoff.time, hm(9, 0));
    assert_eq!(
        day.days.as_deref(),
        Some(
            &[
                Weekday::Sunday,
                Weekday::Monday,
                Weekday::Tuesday,
                Weekday::Wednesday,
                Weekday::Thursday
            ][..]
        )
    );
    assert_eq!(day.until, Some(hm(17, 0)));
    assert_eq!(day.hours(), "09:00–17:00 on sun, mon, tue, wed, thu");
}

#[test]
fn a_schedule_with_both_rotation_and_layers_is_refused_by_name() {
    let text = errors(
        r#"[[schedule]]
id = "backend"
rotation = { members = ["sami"], every = "1w", handoff = "sun 09:00" }
layers = [{ members = ["lina"], every = "1d", handoff = "09:00" }]
"#,
    );
    assert!(
        text.contains("schedule `backend` has both `rotation` and `layers`"),
        "{text}"
    );
    assert!(text.contains("tocsin.toml:"), "a position: {text}");
}

#[test]
fn a_schedule_with_neither_is_refused_by_name() {
    let text = errors("[[schedule]]\nid = \"backend\"\ntimezone = \"UTC\"\n");
    assert!(
        text.contains("schedule `backend` has neither `rotation` nor `layers`"),
        "{text}"
    );
}

#[test]
fn every_mistake_in_a_layer_is_named() {
    let text = errors(
        r#"[[schedule]]
id = "backend"
layers = [
  { members = [], every = "1w", handoff = "09:00" },
  { members = ["nobody"], every = "1d", handoff = "9am", days = ["mon", "funday", "mon"], until = "5pm" },
  { members = ["sami"], every = "1d", handoff = "09:00", days = [], until = "09:00" },
  { members = ["sami"], every = "1d", handoff = "09:00", hours = "9-5" },
]
"#,
    );
    for expected in [
        "`members` is empty",
        "a hand-off without a day needs an `every` shorter than a week",
        "`nobody`",
        "`9am` is not a hand-off time",
        "`funday` is not a day of the week",
        "`mon` is listed twice in `days`",
        "`5pm` is not a time of day",
        "`days` is empty",
        "unknown key `hours`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

#[test]
fn until_at_the_hand_off_time_is_refused() {
    let text = errors(
        r#"[[schedule]]
id = "backend"
layers = [{ members = ["sami"], every = "1d", handoff = "09:00", until = "09:00" }]
"#,
    );
    assert!(text.contains("`until` is the hand-off time"), "{text}");
}

#[test]
fn empty_layers_are_refused() {
    let text = errors("[[schedule]]\nid = \"backend\"\nlayers = []\n");
    assert!(text.contains("`layers` is empty"), "{text}");
}

#[test]
fn page_decides_whether_a_level_pages_and_its_absence_keeps_the_old_rule() {
    let config = load(
        r#"[[severity]]
id = "SEV-2"
respond_within = "30m"
notify = ["team"]
page = false

[[severity]]
id = "SEV-3"
respond_within = "4h"
notify = ["team"]
page = true

[[severity]]
id = "SEV-4"
respond_within = "24h"
notify = ["team"]
"#,
    )
    .unwrap();
    let pages = |id: &str| config.severity(id).unwrap().pages();
    assert!(pages("SEV-1"), "15m without `page`: pages, as before");
    assert!(!pages("SEV-2"), "`page = false` wins over a short target");
    assert!(pages("SEV-3"), "`page = true` wins over a long target");
    assert!(
        !pages("SEV-4"),
        "24h without `page`: does not page, as before"
    );
}

#[test]
fn page_must_be_a_boolean() {
    let text = errors(
        "[[severity]]\nid = \"SEV-2\"\nrespond_within = \"30m\"\nnotify = [\"team\"]\npage = \"yes\"\n",
    );
    assert!(text.contains("`page`"), "{text}");
}
