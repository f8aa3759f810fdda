//! Response metrics as small server-rendered SVG bar charts (no script, no library): one chart
//! per measure, a bar per month and severity.

use std::fmt::Write as _;

use tocsin_core::response_metrics::MonthRow;

const BAR: u32 = 26;
const GAP: u32 = 8;
const HEIGHT: u32 = 120;
const LABEL: u32 = 36;

/// Escapes text for SVG (it is XML).
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One chart: a bar per `(label, value, shown)`, scaled to the largest value.
pub fn bars(title: &str, bars: &[(String, f64, String)]) -> String {
    let max = bars
        .iter()
        .map(|(_, value, _)| *value)
        .fold(0.0_f64, f64::max);
    let count = u32::try_from(bars.len()).unwrap_or(u32::MAX);
    let width = (count * (BAR + GAP)).max(200) + GAP;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{h}" viewBox="0 0 {width} {h}"><title>{t}</title>"#,
        h = HEIGHT + LABEL,
        t = xml(title),
    );
    for (index, (label, value, shown)) in bars.iter().enumerate() {
        let index = u32::try_from(index).unwrap_or(0);
        let x = GAP + index * (BAR + GAP);
        let ratio = if max > 0.0 { value / max } else { 0.0 };
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let height = ((f64::from(HEIGHT - 14)) * ratio).round().max(1.0) as u32;
        let y = HEIGHT - height;
        let _ = write!(
            svg,
            r#"<g><title>{l}: {s}</title><rect x="{x}" y="{y}" width="{BAR}" height="{height}" fill="currentColor" opacity="0.7"/><text x="{cx}" y="{ty}" font-size="9" text-anchor="middle">{s}</text><text x="{cx}" y="{ly}" font-size="9" text-anchor="middle">{l}</text></g>"#,
            l = xml(label),
            s = xml(shown),
            cx = x + BAR / 2,
            ty = y.saturating_sub(2),
            ly = HEIGHT + 14,
        );
    }
    svg.push_str("</svg>");
    svg
}

fn minutes(seconds: Option<u64>) -> (f64, String) {
    match seconds {
        #[allow(clippy::cast_precision_loss)]
        Some(seconds) => (seconds as f64 / 60.0, format!("{}m", seconds.div_ceil(60))),
        None => (0.0, "—".into()),
    }
}

/// The three charts of the response metrics: MTTA, MTTR (minutes) and the share acknowledged
/// within target (percent). Each is `{title, svg}`.
pub fn response_charts(rows: &[MonthRow]) -> Vec<minijinja::Value> {
    let label = |row: &MonthRow| {
        format!(
            "{} {}",
            row.month.get(2..).unwrap_or(&row.month),
            row.severity
        )
    };
    let mtta: Vec<_> = rows
        .iter()
        .map(|row| {
            let (value, shown) = minutes(row.mtta_seconds);
            (label(row), value, shown)
        })
        .collect();
    let mttr: Vec<_> = rows
        .iter()
        .map(|row| {
            let (value, shown) = minutes(row.mttr_seconds);
            (label(row), value, shown)
        })
        .collect();
    let within: Vec<_> = rows
        .iter()
        .map(|row| {
            let percent = row.acknowledged_within_target * 100.0;
            (label(row), percent, format!("{percent:.0}%"))
        })
        .collect();
    [
        ("Mean time to acknowledge", mtta),
        ("Mean time to resolve", mttr),
        ("Acknowledged within target", within),
    ]
    .into_iter()
    .map(|(title, data)| {
        minijinja::context! {
            title => title,
            svg => minijinja::Value::from_safe_string(bars(title, &data)),
        }
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "t<",
            &[
                ("a&b".into(), 10.0, "10m".into()),
                ("c".into(), 5.0, "5m".into()),
            ],
        );
        assert!(svg.contains("<title>t&lt;</title>"), "{svg}");
        assert!(svg.contains("a&amp;b"), "{svg}");
        assert!(svg.contains(r#"height="106""#), "{svg}");
        assert!(svg.contains(r#"height="53""#), "{svg}");
    }
}
