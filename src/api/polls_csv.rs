//! The CSV export of a poll's replies, for Excel: UTF-8 with a BOM (without it Excel
//! reads UTF-8 as the local code page and shows 张伟 as mojibake), CRLF line ends,
//! times as `2026-12-07 14:00:00` (UTC+8, a form Excel takes for a date), and the
//! columns `手机号` and `姓名` first, so a list of who has not answered can be imported
//! straight back as contacts (`POST /v1/contacts/import` knows those headings).
//!
//! A reply's text is whatever a phone sent, so a cell that Excel would take for a formula
//! (`=`, `+`, `-`, `@`, tab or CR first) is written with a leading `'`: a stranger
//! cannot make a spreadsheet compute or fetch anything.

use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

use crate::store::{AttributedReply, Millis, UnansweredRow};

/// The byte order mark Excel looks for.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The replies as CSV bytes (see the [module docs](self)).
pub fn replies(rows: &[AttributedReply]) -> Vec<u8> {
    let mut w = writer();
    write(
        &mut w,
        &[
            "手机号",
            "姓名",
            "选项",
            "选项内容",
            "回复内容",
            "计入统计",
            "回复时间",
            "链路",
        ],
    );
    for r in rows {
        write(
            &mut w,
            &[
                &r.number,
                r.name.as_deref().unwrap_or(""),
                r.option.as_deref().unwrap_or(""),
                r.option_text.as_deref().unwrap_or(""),
                &r.text,
                if r.counted { "是" } else { "否" },
                &excel_time(r.received_at),
                &r.link,
            ],
        );
    }
    finish(w)
}

/// The recipients who have not answered, as CSV bytes.
pub fn unanswered(rows: &[UnansweredRow]) -> Vec<u8> {
    let mut w = writer();
    write(&mut w, &["手机号", "姓名"]);
    for r in rows {
        write(&mut w, &[&r.number, r.name.as_deref().unwrap_or("")]);
    }
    finish(w)
}

fn writer() -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec())
}

fn write(w: &mut csv::Writer<Vec<u8>>, cells: &[&str]) {
    // Writing into memory cannot fail but for a field the csv crate cannot quote,
    // which does not exist (it quotes anything); the row is still whole either way.
    let _ = w.write_record(cells.iter().map(|c| defuse(c).into_owned()));
}

fn finish(w: csv::Writer<Vec<u8>>) -> Vec<u8> {
    w.into_inner()
        .unwrap_or_else(|e| e.into_inner().get_ref().clone())
}

/// `cell`, with a `'` first when Excel would take it for a formula.
fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// `2026-12-07 14:00:00` in UTC+8.
fn excel_time(ms: Millis) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    let Ok(offset) = UtcOffset::from_hms(8, 0, 0) else {
        return ms.to_string();
    };
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.to_offset(offset).format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn row(text: &str, name: Option<&str>) -> AttributedReply {
        AttributedReply {
            id: 7,
            number: "13800138000".into(),
            name: name.map(str::to_owned),
            option: Some("1".into()),
            option_text: Some("满意".into()),
            text: text.into(),
            comment: false,
            counted: true,
            received_at: 1_796_623_200_000,
            link: "mobile-demo".into(),
        }
    }

    #[test]
    fn excel_gets_a_bom_crlf_and_quoted_cells() {
        let bytes = replies(&[row("选1, 谢谢\n\"好\"", Some("张伟"))]);
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        assert_eq!(
            text,
            "手机号,姓名,选项,选项内容,回复内容,计入统计,回复时间,链路\r\n\
             13800138000,张伟,1,满意,\"选1, 谢谢\n\"\"好\"\"\",是,2026-12-07 14:00:00,mobile-demo\r\n"
        );
    }

    #[test]
    fn a_reply_that_looks_like_a_formula_is_written_as_text() {
        for evil in ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)", "\tx"] {
            let bytes = replies(&[row(evil, None)]);
            let text = std::str::from_utf8(&bytes[3..]).unwrap();
            let cell = text.lines().nth(1).unwrap().split(',').nth(4).unwrap();
            assert!(
                cell.starts_with('\'') || cell.starts_with("\"'"),
                "{evil:?} → {cell:?}"
            );
        }
        // An ordinary answer is left alone.
        let bytes = replies(&[row("1", None)]);
        assert!(std::str::from_utf8(&bytes).unwrap().contains(",1,是,"));
    }

    #[test]
    fn the_unanswered_list_reads_back_as_contacts() {
        let bytes = unanswered(&[UnansweredRow {
            recipient_id: 3,
            number: "13900139000".into(),
            name: Some("李娜".into()),
        }]);
        let parsed = crate::contacts::parse_csv(&bytes, &crate::route::Router::default()).unwrap();
        assert!(parsed.bad.is_empty(), "{:?}", parsed.bad);
        assert_eq!(parsed.rows.len(), 1);
        assert_eq!(parsed.rows[0].phone, "13900139000");
        assert_eq!(parsed.rows[0].name, "李娜");
    }
}
