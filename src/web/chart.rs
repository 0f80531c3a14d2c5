//! The dashboard's 30-day chart, drawn on the server as an inline SVG (no script): one
//! stacked bar per day — delivered, failed, and the rest (waiting, unreported) — scaled
//! to the busiest day, with a `<title>` per bar that says the numbers (a tooltip, and
//! what a screen reader reads). Pure: numbers in, markup out.

use std::fmt::Write;

/// One day of the chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayBar {
    /// The day as shown under the bar ("12-07").
    pub label: String,
    /// Message parts accepted that day.
    pub total: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
}

const WIDTH: u64 = 600;
const HEIGHT: u64 = 160;
const TOP: u64 = 14;
const BOTTOM: u64 = 18;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as SVG markup; `caption` is its accessible name, `words` the legend and
/// tooltip words in the viewer's language: (total, delivered, failed).
pub fn svg(days: &[DayBar], caption: &str, words: (&str, &str, &str)) -> String {
    let max = days.iter().map(|d| d.total).max().unwrap_or(0).max(1);
    let n = u64::try_from(days.len()).unwrap_or(1).max(1);
    let slot = WIDTH / n;
    let bar = (slot * 7 / 10).max(1);
    let plot = HEIGHT - TOP - BOTTOM;
    let scale = |v: u64| -> u64 { (u128::from(v) * u128::from(plot) / u128::from(max)) as u64 };
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(caption)
    );
    let _ = write!(
        out,
        r##"<text x="0" y="10" font-size="10" fill="#555">{}</text>"##,
        escape(&format!("{} {max}", words.0))
    );
    let base = HEIGHT - BOTTOM;
    for (i, d) in days.iter().enumerate() {
        let x = u64::try_from(i).unwrap_or(0) * slot + (slot - bar) / 2;
        let total = scale(d.total);
        let delivered = scale(d.delivered.min(d.total));
        let failed = scale(d.failed.min(d.total - d.delivered.min(d.total)));
        let _ = write!(
            out,
            "<g><title>{}</title>",
            escape(&format!(
                "{}: {} {}, {} {}, {} {}",
                d.label, words.0, d.total, words.1, d.delivered, words.2, d.failed
            ))
        );
        // The whole bar in grey; delivered (green) from the bottom, failed (red) above.
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{}" width="{bar}" height="{total}" fill="#c9ced6"/>"##,
            base - total
        );
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{}" width="{bar}" height="{delivered}" fill="#2e8b57"/>"##,
            base - delivered
        );
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{}" width="{bar}" height="{failed}" fill="#c0392b"/>"##,
            base - delivered - failed
        );
        out.push_str("</g>");
        // A label under every fifth day and the last, so they do not collide.
        if i % 5 == 0 || i + 1 == days.len() {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" font-size="9" fill="#555" text-anchor="middle">{}</text>"##,
                x + bar / 2,
                HEIGHT - 5,
                escape(&d.label)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn day(label: &str, total: u64, delivered: u64, failed: u64) -> DayBar {
        DayBar {
            label: label.into(),
            total,
            delivered,
            failed,
        }
    }

    #[test]
    fn bars_scale_to_the_busiest_day_and_say_their_numbers() {
        let s = svg(
            &[
                day("12-01", 100, 90, 5),
                day("12-02", 50, 0, 50),
                day("12-03", 0, 0, 0),
            ],
            "30 天",
            ("发送", "成功", "失败"),
        );
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert!(s.contains("<title>12-01: 发送 100, 成功 90, 失败 5</title>"));
        // The busiest day fills the plot; the half day half of it.
        let plot = HEIGHT - TOP - BOTTOM;
        assert!(s.contains(&format!(r##"height="{plot}" fill="#c9ced6""##)));
        assert!(s.contains(&format!(r##"height="{}" fill="#c0392b""##, plot / 2)));
        // Nothing inline that a strict CSP refuses.
        assert!(!s.contains("style=") && !s.contains("<script") && !s.contains(" on"));
    }

    #[test]
    fn an_empty_month_draws_without_dividing_by_zero() {
        let s = svg(&[day("12-01", 0, 0, 0)], "<x>", ("a", "b", "c"));
        assert!(s.contains(r#"aria-label="&lt;x&gt;""#));
    }
}
