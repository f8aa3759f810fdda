//! Every fixed word of the public status page, its feed and its subscription pages: one table per
//! locale, so a translation is reviewed in one place and no label is left in English by accident.
//! Dates are written out by hand with the table's month names (CLDR-style "26 November 2026"),
//! in the organisation's time zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;
use tocsin_core::status::{ComponentStatus, Impact};

/// One locale's words. Serialized whole into the templates as `t`.
#[derive(Debug, Serialize)]
pub(crate) struct Strings {
    /// The `lang` attribute: the locale these words are in.
    pub lang: &'static str,
    /// `ltr` or `rtl`.
    pub dir: &'static str,
    #[serde(skip)]
    pub months: [&'static str; 12],
    /// Between the date and the time.
    #[serde(skip)]
    pub date_time_separator: &'static str,

    pub skip_to_content: &'static str,
    pub language: &'static str,
    pub all_operational: &'static str,
    pub minor_outage: &'static str,
    pub partial_system_outage: &'static str,
    pub major_system_outage: &'static str,
    pub operational: &'static str,
    pub degraded_performance: &'static str,
    pub partial_outage: &'static str,
    pub major_outage: &'static str,
    pub under_maintenance: &'static str,
    pub scheduled_maintenance: &'static str,
    pub maintenance_in_progress: &'static str,
    pub maintenance_scheduled: &'static str,
    pub maintenance_until: &'static str,
    pub investigating: &'static str,
    pub identified: &'static str,
    pub resolved: &'static str,
    pub impact_none: &'static str,
    pub impact_minor: &'static str,
    pub impact_major: &'static str,
    pub impact_critical: &'static str,
    pub impact: &'static str,
    pub update: &'static str,
    pub incident_opened: &'static str,
    pub incident_resolved: &'static str,
    pub current_incidents: &'static str,
    pub components: &'static str,
    pub past_incidents: &'static str,
    pub no_past_incidents: &'static str,
    pub more_incidents: &'static str,
    pub no_updates_yet: &'static str,
    pub started: &'static str,
    pub ended: &'static str,
    pub last_updated: &'static str,
    /// `{pct}` is the share, like `99.95%`.
    pub uptime_over_90_days: &'static str,
    pub no_checks: &'static str,
    pub no_data: &'static str,
    /// Days in a row on the uptime bar, `{from}` and `{to}` being dates.
    pub date_range: &'static str,
    pub ninety_days_ago: &'static str,
    pub today: &'static str,
    pub times_in: &'static str,
    pub subscribe: &'static str,
    pub email_address: &'static str,
    pub subscribe_button: &'static str,
    pub subscribe_hint: &'static str,
    pub feed: &'static str,
    pub check_inbox: &'static str,
    pub check_inbox_text: &'static str,
    pub invalid_email: &'static str,
    pub subscriptions_closed: &'static str,
    pub confirmed: &'static str,
    pub confirmed_text: &'static str,
    pub unsubscribed: &'static str,
    pub unsubscribed_text: &'static str,
    pub link_not_working: &'static str,
    pub link_not_working_text: &'static str,
    pub back_to_status: &'static str,
    /// The page a confirmation link opens: one button confirms.
    pub confirm_heading: &'static str,
    pub confirm_text: &'static str,
    pub confirm_button: &'static str,
    /// The page an unsubscribe link opens: one button unsubscribes.
    pub unsubscribe_heading: &'static str,
    pub unsubscribe_text: &'static str,
    pub unsubscribe_button: &'static str,
    /// Too many sign-ups from one address, or from everyone at once.
    pub too_many: &'static str,
    pub too_many_text: &'static str,
}

pub(crate) const EN: Strings = Strings {
    lang: "en",
    dir: "ltr",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    date_time_separator: ", ",
    skip_to_content: "Skip to content",
    language: "Language",
    all_operational: "All Systems Operational",
    minor_outage: "Minor Service Outage",
    partial_system_outage: "Partial System Outage",
    major_system_outage: "Major Service Outage",
    operational: "Operational",
    degraded_performance: "Degraded Performance",
    partial_outage: "Partial Outage",
    major_outage: "Major Outage",
    under_maintenance: "Under Maintenance",
    scheduled_maintenance: "Scheduled maintenance",
    maintenance_in_progress: "In progress",
    maintenance_scheduled: "Scheduled",
    maintenance_until: "until",
    investigating: "Investigating",
    identified: "Identified",
    resolved: "Resolved",
    impact_none: "No impact",
    impact_minor: "Minor impact",
    impact_major: "Major impact",
    impact_critical: "Critical impact",
    impact: "Impact",
    update: "Update",
    incident_opened: "Incident opened",
    incident_resolved: "Incident resolved",
    current_incidents: "Current incidents",
    components: "Components",
    past_incidents: "Past incidents",
    no_past_incidents: "No incidents in the last 90 days.",
    more_incidents: "Older incidents are in the feed.",
    no_updates_yet: "We are looking into it; an update will follow.",
    started: "Started",
    ended: "Resolved",
    last_updated: "Last updated",
    uptime_over_90_days: "{pct} uptime over the last 90 days",
    no_checks: "No checks in the last 90 days",
    no_data: "No data",
    date_range: "{from} – {to}",
    ninety_days_ago: "90 days ago",
    today: "Today",
    times_in: "Times are in",
    subscribe: "Subscribe to updates",
    email_address: "E-mail address",
    subscribe_button: "Subscribe",
    subscribe_hint: "We will send you a link to confirm. Every message has a link to unsubscribe.",
    feed: "Atom feed",
    check_inbox: "Check your inbox",
    check_inbox_text: "If this address can receive our updates, a confirmation link is on its way. Nothing is sent until you confirm.",
    invalid_email: "That is not an e-mail address. Please check it and try again.",
    subscriptions_closed: "This status page does not send e-mail updates.",
    confirmed: "Subscription confirmed",
    confirmed_text: "You will receive an e-mail whenever we post an update.",
    unsubscribed: "You are unsubscribed",
    unsubscribed_text: "You will receive no more e-mail from this status page.",
    link_not_working: "This link does not work",
    link_not_working_text: "It may have expired or been copied incompletely. You can subscribe again from the status page.",
    back_to_status: "Back to the status page",
    confirm_heading: "Confirm your subscription",
    confirm_text: "Press the button to start receiving an e-mail whenever we post an update.",
    confirm_button: "Confirm subscription",
    unsubscribe_heading: "Unsubscribe",
    unsubscribe_text: "Press the button to stop receiving e-mail from this status page.",
    unsubscribe_button: "Unsubscribe",
    too_many: "Too many requests",
    too_many_text: "We received too many sign-ups just now. Please try again in a few minutes.",
};

pub(crate) const AR: Strings = Strings {
    lang: "ar",
    dir: "rtl",
    months: [
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ],
    date_time_separator: "، ",
    skip_to_content: "انتقل إلى المحتوى",
    language: "اللغة",
    all_operational: "جميع الأنظمة تعمل",
    minor_outage: "انقطاع طفيف في الخدمة",
    partial_system_outage: "انقطاع جزئي في النظام",
    major_system_outage: "انقطاع كبير في الخدمة",
    operational: "يعمل",
    degraded_performance: "أداء متدهور",
    partial_outage: "انقطاع جزئي",
    major_outage: "انقطاع كامل",
    under_maintenance: "صيانة",
    scheduled_maintenance: "الصيانة المجدولة",
    maintenance_in_progress: "جارية الآن",
    maintenance_scheduled: "مجدولة",
    maintenance_until: "حتى",
    investigating: "قيد التحقيق",
    identified: "تم تحديد السبب",
    resolved: "تم الحل",
    impact_none: "بلا تأثير",
    impact_minor: "تأثير طفيف",
    impact_major: "تأثير كبير",
    impact_critical: "تأثير حرج",
    impact: "التأثير",
    update: "تحديث",
    incident_opened: "بدء الحادثة",
    incident_resolved: "حل الحادثة",
    current_incidents: "الحوادث الجارية",
    components: "المكونات",
    past_incidents: "الحوادث السابقة",
    no_past_incidents: "لا توجد حوادث خلال آخر 90 يومًا.",
    more_incidents: "الحوادث الأقدم متاحة في الموجز.",
    no_updates_yet: "نعمل على التحقق من المشكلة، وسننشر تحديثًا قريبًا.",
    started: "البداية",
    ended: "الحل",
    last_updated: "آخر تحديث",
    uptime_over_90_days: "نسبة التوفر خلال آخر 90 يومًا: {pct}",
    no_checks: "لا توجد فحوص خلال آخر 90 يومًا",
    no_data: "لا توجد بيانات",
    date_range: "من {from} إلى {to}",
    ninety_days_ago: "قبل 90 يومًا",
    today: "اليوم",
    times_in: "الأوقات بتوقيت",
    subscribe: "اشترك في التحديثات",
    email_address: "البريد الإلكتروني",
    subscribe_button: "اشترك",
    subscribe_hint: "سنرسل إليك رابطًا لتأكيد الاشتراك، وفي كل رسالة رابط لإلغائه.",
    feed: "موجز Atom",
    check_inbox: "تحقّق من بريدك",
    check_inbox_text: "إذا كان بإمكان هذا العنوان تلقي تحديثاتنا، فرابط التأكيد في طريقه إليك. لن نرسل شيئًا قبل أن تؤكد.",
    invalid_email: "هذا ليس عنوان بريد إلكتروني صالحًا. يرجى التحقق منه والمحاولة مجددًا.",
    subscriptions_closed: "صفحة الحالة هذه لا ترسل تحديثات بالبريد الإلكتروني.",
    confirmed: "تم تأكيد الاشتراك",
    confirmed_text: "ستصلك رسالة كلما نشرنا تحديثًا.",
    unsubscribed: "تم إلغاء اشتراكك",
    unsubscribed_text: "لن تصلك رسائل أخرى من صفحة الحالة هذه.",
    link_not_working: "هذا الرابط لا يعمل",
    link_not_working_text: "ربما انتهت صلاحيته أو نُسخ ناقصًا. يمكنك الاشتراك مجددًا من صفحة الحالة.",
    back_to_status: "العودة إلى صفحة الحالة",
    confirm_heading: "أكّد اشتراكك",
    confirm_text: "اضغط الزر لتبدأ بتلقي رسالة كلما نشرنا تحديثًا.",
    confirm_button: "تأكيد الاشتراك",
    unsubscribe_heading: "إلغاء الاشتراك",
    unsubscribe_text: "اضغط الزر لإيقاف رسائل صفحة الحالة هذه.",
    unsubscribe_button: "إلغاء الاشتراك",
    too_many: "طلبات كثيرة",
    too_many_text: "وصلتنا طلبات اشتراك كثيرة قبل قليل. يرجى المحاولة مجددًا بعد بضع دقائق.",
};

/// The words for a locale; English for one without a table.
pub(crate) fn strings(locale: &str) -> &'static Strings {
    if locale.starts_with("ar") { &AR } else { &EN }
}

/// A language's own name, for the language switch.
pub(crate) fn language_name(code: &str) -> &str {
    match code {
        "ar" => "العربية",
        "en" => "English",
        other => other,
    }
}

impl Strings {
    pub fn component_status(&self, status: ComponentStatus) -> &'static str {
        match status {
            ComponentStatus::Operational => self.operational,
            ComponentStatus::UnderMaintenance => self.under_maintenance,
            ComponentStatus::DegradedPerformance => self.degraded_performance,
            ComponentStatus::PartialOutage => self.partial_outage,
            ComponentStatus::MajorOutage => self.major_outage,
        }
    }

    /// The page's overall line for its indicator.
    pub fn overall(&self, indicator: Impact) -> &'static str {
        match indicator {
            Impact::None => self.all_operational,
            Impact::Minor => self.minor_outage,
            Impact::Major => self.partial_system_outage,
            Impact::Critical => self.major_system_outage,
        }
    }

    pub fn impact(&self, impact: Impact) -> &'static str {
        match impact {
            Impact::None => self.impact_none,
            Impact::Minor => self.impact_minor,
            Impact::Major => self.impact_major,
            Impact::Critical => self.impact_critical,
        }
    }

    /// An incident's Statuspage state (`investigating`, `identified`, `resolved`).
    pub fn state(&self, state: &str) -> &'static str {
        match state {
            "identified" => self.identified,
            "resolved" => self.resolved,
            _ => self.investigating,
        }
    }

    fn month(&self, month: i8) -> &'static str {
        usize::try_from(month.saturating_sub(1))
            .ok()
            .and_then(|index| self.months.get(index))
            .copied()
            .unwrap_or("")
    }

    /// "26 November 2026" / "26 نوفمبر 2026", in the page's zone.
    pub fn date(&self, at: Timestamp, tz: &TimeZone) -> String {
        let local = at.to_zoned(tz.clone());
        format!(
            "{} {} {}",
            local.day(),
            self.month(local.month()),
            local.year()
        )
    }

    /// The date and a 24-hour time, in the page's zone.
    pub fn date_time(&self, at: Timestamp, tz: &TimeZone) -> String {
        let local = at.to_zoned(tz.clone());
        format!(
            "{}{}{:02}:{:02}",
            self.date(at, tz),
            self.date_time_separator,
            local.hour(),
            local.minute()
        )
    }
}

/// `UTC+03:00`: the zone's offset at `at`, for the note under the page.
pub(crate) fn utc_offset(at: Timestamp, tz: &TimeZone) -> String {
    let seconds = tz.to_offset(at).seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("UTC{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_dates_use_arabic_month_names_in_the_page_zone() {
        let tz = TimeZone::get("Asia/Riyadh").expect("zone");
        // 22:30 UTC on the 26th is 01:30 on the 27th in Riyadh.
        let at: Timestamp = "2026-11-26T22:30:00Z".parse().expect("time");
        assert_eq!(AR.date_time(at, &tz), "27 نوفمبر 2026، 01:30");
        assert_eq!(EN.date_time(at, &tz), "27 November 2026, 01:30");
        assert_eq!(utc_offset(at, &tz), "UTC+03:00");
    }

    #[test]
    fn every_status_has_words_in_both_languages() {
        for strings in [&EN, &AR] {
            for status in [
                ComponentStatus::Operational,
                ComponentStatus::UnderMaintenance,
                ComponentStatus::DegradedPerformance,
                ComponentStatus::PartialOutage,
                ComponentStatus::MajorOutage,
            ] {
                assert!(!strings.component_status(status).is_empty());
            }
        }
        assert_eq!(
            AR.component_status(ComponentStatus::PartialOutage),
            "انقطاع جزئي"
        );
        assert_eq!(AR.overall(Impact::None), "جميع الأنظمة تعمل");
        assert_eq!(strings("ar-SA").dir, "rtl");
        assert_eq!(strings("fr").lang, "en");
    }
}
