//! Small things the dashboard, inbox, contacts and approvals pages share: times in China
//! time, a date field as a day, CSV downloads Excel opens (UTF-8 with BOM), one-time
//! tokens for forms that must act once.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use time::{Date, OffsetDateTime, UtcOffset};

use crate::clock::CST_OFFSET_SECS;
use crate::store::Millis;

fn cst() -> UtcOffset {
    UtcOffset::from_whole_seconds(i32::try_from(CST_OFFSET_SECS).unwrap_or(8 * 3600))
        .unwrap_or(UtcOffset::UTC)
}

/// `2026-12-07 14:03` in China time.
pub fn when(ms: Millis) -> String {
    let Ok(t) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    let t = t.to_offset(cst());
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The start (unix ms) of the China-time day a date field (`YYYY-MM-DD`) names; `None`
/// when it names no date.
pub fn day_start(date: &str) -> Option<Millis> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let d = Date::parse(date.trim(), &fmt).ok()?;
    let t = d.midnight().assume_offset(cst());
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).ok()
}

/// The start of the China-time day that holds `ms`.
pub fn day_of(ms: Millis) -> Millis {
    let offset = CST_OFFSET_SECS * 1000;
    (ms + offset).div_euclid(86_400_000) * 86_400_000 - offset
}

/// `MM-DD` of the China-time day starting at `day`.
pub fn month_day(day: Millis) -> String {
    when(day).get(5..10).unwrap_or_default().to_owned()
}

/// A CSV download: UTF-8 with a byte-order mark (so Excel reads the Chinese), one header
/// line, then the rows; `file` names the download.
pub fn csv_download(file: &str, header: &[&str], rows: &[Vec<String>]) -> Response {
    let mut w = csv::Writer::from_writer(Vec::from("\u{FEFF}".as_bytes()));
    let mut ok = w.write_record(header).is_ok();
    for r in rows {
        ok &= w.write_record(r).is_ok();
    }
    let bytes = match (ok, w.into_inner()) {
        (true, Ok(b)) => b,
        _ => {
            return super::WebError::Internal("the CSV could not be written".into())
                .into_response();
        }
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// A random one-time token (128 bits, hex): the key that makes a form act once however
/// often it is sent.
pub fn token() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No OS randomness: a time-based key still keeps one page's form from acting twice.
        return format!("t{}", crate::store::now_millis());
    }
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Why a number or a contact-file row was refused, in Chinese, by its stable code (the
/// router's codes and the CSV reader's); `None` for a code this table does not know
/// (the English reason is shown then).
pub fn refusal_zh(code: &str) -> Option<&'static str> {
    Some(match code {
        "empty" | "empty_phone" => "号码为空",
        "invalid_character" => "号码含有非法字符",
        "not_mainland" => "不是中国大陆号码",
        "landline" => "是固定电话，不是手机号",
        "leading_zero" => "以 0 开头，不是手机号",
        "service_code" => "是服务号码，不是手机号",
        "not_mobile" => "不是手机号码",
        "wrong_length" => "位数不对（手机号为 11 位）",
        "unknown_segment" => "未知号段",
        "no_link" => "没有能发送该运营商的通道",
        "fallback_no_link" => "备用通道不存在",
        "column_count" => "列数与表头不一致",
        "name_too_long" => "姓名过长",
        "group_too_long" => "分组名过长",
        "tag_too_long" => "标签过长",
        _ => return None,
    })
}

/// A refusal in the viewer's language: the Chinese words of its code, or the reason.
pub fn refusal(lang: super::Lang, code: &str, reason: &str) -> String {
    match (lang, refusal_zh(code)) {
        (super::Lang::Zh, Some(zh)) => zh.to_owned(),
        _ => reason.to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn days_are_china_days() {
        // 2026-12-07 00:00 +08:00 is 2026-12-06 16:00 UTC.
        let start = day_start("2026-12-07").unwrap();
        assert_eq!(when(start), "2026-12-07 00:00");
        assert_eq!(day_of(start + 5), start);
        assert_eq!(day_of(start - 1), start - 86_400_000);
        assert_eq!(month_day(start), "12-07");
        assert_eq!(day_start("7 Dec"), None);
        assert_eq!(day_start(""), None);
    }

    #[tokio::test]
    async fn a_csv_download_starts_with_a_bom_and_quotes_what_needs_it() {
        let res = csv_download(
            "x.csv",
            &["姓名", "text"],
            &[vec!["张三".into(), "a,b \"c\"".into()]],
        );
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(text, "\u{FEFF}姓名,text\n张三,\"a,b \"\"c\"\"\"\n");
    }
}
