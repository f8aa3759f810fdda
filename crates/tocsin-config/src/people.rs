//! Who is paged and how: `[[contact]]`, `[[schedule]]`, `[[escalation]]` and `[[route]]`.

use std::fmt;
use std::time::Duration;

use jiff::civil::{Date, Time, Weekday};

/// `[[contact]]`: a person or an outside party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// Identifier, like `"sami"`. Required and unique.
    pub id: String,
    /// Display name. Default: the id.
    pub name: String,
    /// Role, like `"Founder, on call 24/7"`.
    pub title: Option<String>,
    /// Email address; required when `methods` includes `"email"`.
    pub email: Option<String>,
    /// Phone number in international form, like `"+966500000000"`; required when a method is a
    /// `webhook` channel (the SMS or voice relay gets it as `to`).
    pub phone: Option<String>,
    /// How this person is paged, in order: `"email"` sends through `[smtp]` to `email`; any other
    /// entry names a `slack` or `webhook` channel.
    pub methods: Vec<ContactMethod>,
    /// When the numbers were last confirmed, like `2026-11-01` (an unquoted TOML date); the
    /// monthly check asks again after `drill.contacts_verified_within`.
    pub verified_on: Option<Date>,
    /// An outside party (a vendor's support): never paged, shown as the party to call. Default
    /// `false`.
    pub external: bool,
    /// A link for an outside party (its support page).
    pub url: Option<String>,
    /// Their Slack user id, like `"U0SAMI0001"`: a `slack_app` channel mentions and invites
    /// them, and takes a button press or `/tocsin` command from that user as theirs.
    pub slack: Option<String>,
}

/// One way of paging a contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactMethod {
    /// `"email"`: through `[smtp]` to the contact's `email`.
    Email,
    /// Any other entry: the id of a `slack` or `webhook` channel.
    Channel(String),
}

/// `[[schedule]]`: an on-call rotation, or several layered ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Identifier, used as `schedule:<id>` in escalation targets. Required and unique.
    pub id: String,
    /// IANA time zone of the hand-off times. Default: `org.timezone`.
    pub timezone: String,
    /// Who is on call, in turn: a schedule of one layer on call around the clock. Write either
    /// `rotation` or `layers`.
    pub rotation: Option<Rotation>,
    /// Rotation layers, each like `rotation` with optional `days` and `until`: a later layer
    /// wins wherever it has someone on call (inside its windows), else the one before it
    /// decides. Write either `rotation` or `layers`; a `rotation` is loaded as the only layer.
    pub layers: Vec<Layer>,
}

/// `rotation = { members = [...], every = "1w", handoff = "sun 09:00" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Contact ids, in turn; none may be `external`. Required, at least one.
    pub members: Vec<String>,
    /// How long each member is on call, like `"1w"`. Required.
    pub every: Duration,
    /// When the turn passes to the next member, like `"sun 09:00"`, in the schedule's time zone.
    /// Required.
    pub handoff: WeeklyTime,
}

/// One entry of `layers = [{ members, every, handoff, days, until }, …]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Contact ids, in turn; none may be `external`. Required, at least one.
    pub members: Vec<String>,
    /// How long each member's turn lasts, like `"1w"` or `"1d"`; turns go on counting on the
    /// days the layer is off. Required.
    pub every: Duration,
    /// When the turn passes to the next member, like `"sun 09:00"`, or a time of day like
    /// `"09:00"` when `every` is shorter than a week; also when each day's window opens.
    /// Required.
    pub handoff: Handoff,
    /// The days this layer is on call, like `["sun", "mon", "tue", "wed", "thu"]`: its window
    /// opens at the hand-off time on each of them. Default: every day.
    pub days: Option<Vec<Weekday>>,
    /// When each day's window closes, like `"17:00"` (the next morning when not after the
    /// hand-off time); outside its windows the layer below decides. Default: the next day's
    /// hand-off time.
    pub until: Option<Time>,
}

impl Layer {
    /// When the layer is on call, in words: `around the clock`, `09:00–17:00 on sun, mon`,
    /// `from 22:00 for a day on sat` (shown on the configuration page and in the export).
    pub fn hours(&self) -> String {
        let clock = |time: Time| format!("{:02}:{:02}", time.hour(), time.minute());
        let opens = clock(self.handoff.time);
        let window = match self.until {
            Some(until) => format!("{opens}–{}", clock(until)),
            None if self.days.is_some() => format!("from {opens} for a day"),
            None => return "around the clock".to_owned(),
        };
        match &self.days {
            Some(days) => {
                let days: Vec<&str> = days.iter().map(|day| day_name(*day)).collect();
                format!("{window} on {}", days.join(", "))
            }
            None => format!("{window} daily"),
        }
    }

    /// A `rotation`: one layer on call around the clock.
    pub fn always(rotation: &Rotation) -> Layer {
        Layer {
            members: rotation.members.clone(),
            every: rotation.every,
            handoff: Handoff {
                weekday: Some(rotation.handoff.weekday),
                time: rotation.handoff.time,
            },
            days: None,
            until: None,
        }
    }
}

/// A layer's hand-off: `"sun 09:00"`, or `"09:00"` (no day) for turns shorter than a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handoff {
    /// The day; `None` when written as a time of day only.
    pub weekday: Option<Weekday>,
    /// The time of day (minutes precision).
    pub time: Time,
}

impl Handoff {
    /// Parses `"sun 09:00"` or `"09:00"`.
    pub fn parse(text: &str) -> Option<Handoff> {
        if let Some(weekly) = WeeklyTime::parse(text) {
            return Some(Handoff {
                weekday: Some(weekly.weekday),
                time: weekly.time,
            });
        }
        Some(Handoff {
            weekday: None,
            time: parse_time(text.trim())?,
        })
    }
}

impl fmt::Display for Handoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.weekday {
            Some(weekday) => WeeklyTime {
                weekday,
                time: self.time,
            }
            .fmt(f),
            None => write!(f, "{:02}:{:02}", self.time.hour(), self.time.minute()),
        }
    }
}

/// Parses a 24-hour `"HH:MM"`.
pub fn parse_time(clock: &str) -> Option<Time> {
    let (hour, minute) = clock.split_once(':')?;
    if hour.is_empty() || hour.len() > 2 || minute.len() != 2 {
        return None;
    }
    let hour: i8 = hour.parse().ok()?;
    let minute: i8 = minute.parse().ok()?;
    Time::new(hour, minute, 0, 0).ok()
}

/// Parses a day name in English, three letters or in full, any case.
pub fn parse_weekday(day: &str) -> Option<Weekday> {
    Some(match day.to_ascii_lowercase().as_str() {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return None,
    })
}

/// A day of the week and a time of day, written `"sun 09:00"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeeklyTime {
    /// The day.
    pub weekday: Weekday,
    /// The time of day (minutes precision).
    pub time: Time,
}

impl WeeklyTime {
    /// Parses `"sun 09:00"` (day names in English, three letters or in full, any case).
    pub fn parse(text: &str) -> Option<WeeklyTime> {
        let mut parts = text.split_whitespace();
        let (day, clock) = (parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let weekday = parse_weekday(day)?;
        let time = parse_time(clock)?;
        Some(WeeklyTime { weekday, time })
    }
}

/// A day's three-letter name, as written in the configuration.
fn day_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

impl fmt::Display for WeeklyTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = day_name(self.weekday);
        write!(f, "{day} {:02}:{:02}", self.time.hour(), self.time.minute())
    }
}

/// `[[escalation]]`: who is paged, step by step, until someone acknowledges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// Identifier, named by a route's `escalation`. Required and unique.
    pub id: String,
    /// After the last step, the policy runs again from the first step this many more times (0 to
    /// 100). Default 0.
    pub repeat: u32,
    /// The steps, in order. Required, at least one.
    pub steps: Vec<EscalationStep>,
}

/// One step: `{ targets = ["schedule:backend-primary"], after = "5m" }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationStep {
    /// Who this step pages: `"schedule:<id>"` (whoever is on call) or `"contact:<id>"`.
    /// Required, at least one.
    pub targets: Vec<Target>,
    /// If nobody acknowledges within this long of the step, the next step runs. Required.
    pub after: Duration,
}

/// An escalation target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `"schedule:<id>"`: whoever is on call in that schedule.
    Schedule(String),
    /// `"contact:<id>"`: that contact (never an `external` one).
    Contact(String),
}

impl Target {
    /// Parses `"schedule:<id>"` or `"contact:<id>"`.
    pub fn parse(text: &str) -> Option<Target> {
        match text.split_once(':')? {
            ("schedule", id) if !id.is_empty() => Some(Target::Schedule(id.to_owned())),
            ("contact", id) if !id.is_empty() => Some(Target::Contact(id.to_owned())),
            _ => None,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Schedule(id) => write!(f, "schedule:{id}"),
            Target::Contact(id) => write!(f, "contact:{id}"),
        }
    }
}

/// `[[route]]`: who to contact for a category of incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The category this route is for, as named by monitors and integrations, like
    /// `"payments"`. Every route without `match` names one, unique across the routes.
    pub category: String,
    /// Heading shown for this kind of incident, like `"Payment processing"`. Default: the
    /// category.
    pub title: String,
    /// The escalation policy that pages people for incidents of this category.
    pub escalation: Option<String>,
    /// Contacts (usually `external` ones) shown as the outside parties to call, with their links.
    pub call: Vec<String>,
    /// The runbook of this category's incidents whose monitor or integration names none (a
    /// runbook id); before the severity's.
    pub runbook: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_times_parse_and_print() {
        let handoff = WeeklyTime::parse("sun 09:00").expect("valid");
        assert_eq!(handoff.weekday, Weekday::Sunday);
        assert_eq!(handoff.time, Time::new(9, 0, 0, 0).expect("valid"));
        assert_eq!(handoff.to_string(), "sun 09:00");
        assert!(WeeklyTime::parse("Monday 23:59").is_some());
        assert!(WeeklyTime::parse("sun 24:00").is_none());
        assert!(WeeklyTime::parse("sun 9").is_none());
        assert!(WeeklyTime::parse("funday 09:00").is_none());
        assert!(WeeklyTime::parse("09:00").is_none());
    }

    #[test]
    fn handoffs_parse_with_or_without_a_day() {
        let daily = Handoff::parse("09:00").expect("valid");
        assert_eq!(daily.weekday, None);
        assert_eq!(daily.to_string(), "09:00");
        let weekly = Handoff::parse("sun 09:00").expect("valid");
        assert_eq!(weekly.weekday, Some(Weekday::Sunday));
        assert_eq!(weekly.to_string(), "sun 09:00");
        assert!(Handoff::parse("9am").is_none());
        assert!(Handoff::parse("24:00").is_none());
        assert!(Handoff::parse("sun").is_none());
    }

    #[test]
    fn a_layer_says_when_it_is_on_call() {
        let nine = Time::new(9, 0, 0, 0).expect("valid");
        let layer = Layer {
            members: vec!["sami".into()],
            every: Duration::from_secs(86_400),
            handoff: Handoff {
                weekday: None,
                time: nine,
            },
            days: Some(vec![Weekday::Sunday, Weekday::Monday]),
            until: Some(Time::new(17, 0, 0, 0).expect("valid")),
        };
        assert_eq!(layer.hours(), "09:00–17:00 on sun, mon");
        let nights = Layer {
            days: None,
            ..layer.clone()
        };
        assert_eq!(nights.hours(), "09:00–17:00 daily");
        let days = Layer {
            until: None,
            ..layer.clone()
        };
        assert_eq!(days.hours(), "from 09:00 for a day on sun, mon");
        let always = Layer {
            days: None,
            until: None,
            ..layer
        };
        assert_eq!(always.hours(), "around the clock");
    }

    #[test]
    fn targets_parse() {
        assert_eq!(
            Target::parse("contact:sami"),
            Some(Target::Contact("sami".into()))
        );
        assert_eq!(
            Target::parse("schedule:a"),
            Some(Target::Schedule("a".into()))
        );
        assert_eq!(Target::parse("sami"), None);
        assert_eq!(Target::parse("team:x"), None);
        assert_eq!(Target::parse("contact:"), None);
    }
}
