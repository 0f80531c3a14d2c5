//! Reading a contact list from CSV bytes: decoding (UTF-8 with or without BOM, else GBK),
//! the header, one [`ContactRow`] per good record, one [`BadRow`] per bad one, and
//! duplicates merged — without touching the store.
//!
//! # Format
//!
//! * **Encoding**: bytes that are valid UTF-8 are UTF-8 (a leading BOM is dropped);
//!   anything else is decoded as GBK (what Excel on a Chinese Windows saves). Bytes that
//!   are neither are refused as a whole ([`CsvImportError::Encoding`]).
//! * **Header**: the first record names the columns, in any order, compared ignoring
//!   case and spaces: `name`/`姓名`, `phone`/`mobile`/`手机`/`手机号`/`电话`,
//!   `groups`/`group`/`分组`/`群组`, `tags`/`tag`/`标签`. Only the phone column is
//!   required ([`CsvImportError::MissingPhoneColumn`]); other columns are ignored.
//! * **Lists**: a groups or tags cell holds several names separated by `;`, `；`, `|`,
//!   `、`, `，`, a line break, or `,` (the last two only inside a quoted cell).
//! * **Line numbers** are physical lines, counting from 1 (the header's first line), of
//!   the line where a record *starts* — a quoted cell with line breaks in it makes a
//!   record span several lines, and the next record's number accounts for them.
//!
//! # Bad rows
//!
//! A record is bad, and reported with its line, the column at fault and the reason, when
//! it has a different number of cells than the header, its phone is empty, its phone is
//! not a mainland mobile number of a known segment (the router's reason, e.g. a landline
//! or a service code), or its name, a group or a tag is longer than
//! [`MAX_NAME_CHARS`] characters. Every other record is imported.
//!
//! # Duplicates
//!
//! Records whose phones normalise to the same number are one contact: the first record
//! keeps its place, groups and tags of the later ones are added to it (in order, each
//! once), and the first non-empty name wins. Each later record is listed in
//! [`ImportPlan::merged`] with the line it was merged into.

use std::collections::HashMap;

use serde::Serialize;

use crate::route::{NumberError, RouteError, Router, normalize};

/// Longest name, group name or tag, in characters (what the store accepts).
pub const MAX_NAME_CHARS: usize = crate::store::MAX_LABEL_CHARS;

/// Header names (after lower-casing and removing spaces) of the name column.
const NAME_HEADERS: &[&str] = &["name", "姓名"];
/// Header names of the phone column.
const PHONE_HEADERS: &[&str] = &["phone", "mobile", "手机", "手机号", "电话"];
/// Header names of the groups column.
const GROUP_HEADERS: &[&str] = &["groups", "group", "分组", "群组"];
/// Header names of the tags column.
const TAG_HEADERS: &[&str] = &["tags", "tag", "标签"];

/// How the file was decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceEncoding {
    /// UTF-8 without a byte-order mark.
    Utf8,
    /// UTF-8 with a leading byte-order mark (dropped).
    Utf8Bom,
    /// GBK (decoded to UTF-8).
    Gbk,
}

/// One good record (or several, merged), ready to store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactRow {
    /// Line where the (first) record starts.
    pub line: u64,
    /// Name, trimmed; empty when no record gave one.
    pub name: String,
    /// The normalised 11-digit number.
    pub phone: String,
    /// Groups, each once, in the order first seen.
    pub groups: Vec<String>,
    /// Tags, each once, in the order first seen.
    pub tags: Vec<String>,
}

/// The column a bad row is reported against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The record as a whole (its number of cells).
    Record,
    /// The name column.
    Name,
    /// The phone column.
    Phone,
    /// The groups column.
    Groups,
    /// The tags column.
    Tags,
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// Line where the record starts (the header is line 1).
    pub line: u64,
    /// The column at fault.
    pub field: Field,
    /// Stable reason code: `column_count`, `empty_phone`, `name_too_long`,
    /// `group_too_long`, `tag_too_long`, or the router's code for a bad number
    /// (`not_mobile`, `landline`, `service_code`, `wrong_length`, `unknown_segment`, …).
    pub code: String,
    /// The reason, for people.
    pub reason: String,
}

/// Everything read from one file: what to import and what was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPlan {
    /// How the bytes were decoded.
    pub encoding: SourceEncoding,
    /// Data records read (good, bad and merged; blank lines are not records).
    pub records: usize,
    /// One row per distinct number, in file order of first appearance.
    pub rows: Vec<ContactRow>,
    /// Refused records, in file order.
    pub bad: Vec<BadRow>,
    /// `(line, first_line)`: the record at `line` was merged into the one at `first_line`.
    pub merged: Vec<(u64, u64)>,
}

/// Why a file cannot be read at all; no row of it is imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvImportError {
    /// The bytes are neither UTF-8 nor GBK.
    #[error(
        "the file is neither UTF-8 nor GBK (invalid UTF-8 at byte {utf8_error_at}); \
         save it as CSV UTF-8 or as GBK"
    )]
    Encoding {
        /// Offset of the first byte that is not valid UTF-8.
        utf8_error_at: usize,
    },
    /// The file has no header line.
    #[error("the file is empty; it needs a header line naming the columns")]
    Empty,
    /// The header names no phone column.
    #[error(
        "the header has no phone column (one of: phone, mobile, 手机, 手机号, 电话); \
         it has: {found}"
    )]
    MissingPhoneColumn {
        /// The header's cells, comma separated.
        found: String,
    },
    /// The CSV reader failed (it does not on in-memory text; kept for completeness).
    #[error("line {line}: {reason}")]
    Csv {
        /// Line where the failing record starts.
        line: u64,
        /// What the reader said.
        reason: String,
    },
}

/// Decodes `bytes`: UTF-8 (BOM dropped) when valid, else GBK.
pub fn decode(bytes: &[u8]) -> Result<(String, SourceEncoding), CsvImportError> {
    const BOM: &[u8] = b"\xEF\xBB\xBF";
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(match text.strip_prefix('\u{FEFF}') {
            Some(rest) => (rest.to_owned(), SourceEncoding::Utf8Bom),
            None => (text.to_owned(), SourceEncoding::Utf8),
        }),
        Err(e) => {
            // A BOM followed by invalid UTF-8 is broken UTF-8, not GBK.
            if bytes.starts_with(BOM) {
                return Err(CsvImportError::Encoding {
                    utf8_error_at: e.valid_up_to(),
                });
            }
            encoding_rs::GBK
                .decode_without_bom_handling_and_without_replacement(bytes)
                .map(|text| (text.into_owned(), SourceEncoding::Gbk))
                .ok_or(CsvImportError::Encoding {
                    utf8_error_at: e.valid_up_to(),
                })
        }
    }
}

/// Where each known column is in the header.
#[derive(Debug, Clone, Copy)]
struct Columns {
    width: usize,
    phone: usize,
    name: Option<usize>,
    groups: Option<usize>,
    tags: Option<usize>,
}

/// A header cell as compared: lower case, no white space (nor BOM).
fn header_key(cell: &str) -> String {
    cell.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{FEFF}')
        .flat_map(char::to_lowercase)
        .collect()
}

fn columns(header: &csv::StringRecord) -> Result<Columns, CsvImportError> {
    let find = |names: &[&str]| {
        header
            .iter()
            .position(|cell| names.contains(&header_key(cell).as_str()))
    };
    let phone = find(PHONE_HEADERS).ok_or_else(|| CsvImportError::MissingPhoneColumn {
        found: header.iter().collect::<Vec<_>>().join(", "),
    })?;
    Ok(Columns {
        width: header.len(),
        phone,
        name: find(NAME_HEADERS),
        groups: find(GROUP_HEADERS),
        tags: find(TAG_HEADERS),
    })
}

/// Splits a groups or tags cell into trimmed, non-empty names.
pub fn split_list(cell: &str) -> impl Iterator<Item = &str> {
    cell.split([';', '；', '|', '、', ',', '，', '\n', '\r'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Adds the names of `more` not yet in `into`, in order.
pub(crate) fn union_into(into: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for name in more {
        if !into.contains(&name) {
            into.push(name);
        }
    }
}

/// The mobile number in `cell`, or the router's reason why it is not one.
fn phone_of(cell: &str, router: &Router) -> Result<String, RouteError> {
    let msisdn = normalize(cell)?;
    router.carrier_of(&msisdn)?;
    Ok(msisdn.as_str().to_owned())
}

/// Reads one data record; `Err` is the reason it is bad.
fn read_record(
    record: &csv::StringRecord,
    line: u64,
    cols: Columns,
    router: &Router,
) -> Result<ContactRow, BadRow> {
    let bad = |field, code: &str, reason: String| BadRow {
        line,
        field,
        code: code.to_owned(),
        reason,
    };
    if record.len() != cols.width {
        return Err(bad(
            Field::Record,
            "column_count",
            format!(
                "the row has {} cells; the header has {}",
                record.len(),
                cols.width
            ),
        ));
    }
    let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or("").trim();
    let phone_cell = cell(Some(cols.phone));
    if phone_cell.is_empty() {
        return Err(bad(
            Field::Phone,
            "empty_phone",
            "the phone is empty".into(),
        ));
    }
    let phone = phone_of(phone_cell, router).map_err(|e| match e {
        // An all-separator cell ("-", " ") reads as empty to the router.
        RouteError::Number(NumberError::Empty) => {
            bad(Field::Phone, "empty_phone", "the phone is empty".into())
        }
        e => bad(Field::Phone, e.code(), format!("{phone_cell:?}: {e}")),
    })?;
    let name = cell(cols.name);
    let too_long = |what: &str, s: &str| {
        format!(
            "the {what} has {} characters; at most {MAX_NAME_CHARS} are allowed",
            s.chars().count()
        )
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(bad(Field::Name, "name_too_long", too_long("name", name)));
    }
    let mut groups = Vec::new();
    for g in split_list(cell(cols.groups)) {
        if g.chars().count() > MAX_NAME_CHARS {
            return Err(bad(
                Field::Groups,
                "group_too_long",
                too_long("group name", g),
            ));
        }
        union_into(&mut groups, [g.to_owned()]);
    }
    let mut tags = Vec::new();
    for t in split_list(cell(cols.tags)) {
        if t.chars().count() > MAX_NAME_CHARS {
            return Err(bad(Field::Tags, "tag_too_long", too_long("tag", t)));
        }
        union_into(&mut tags, [t.to_owned()]);
    }
    Ok(ContactRow {
        line,
        name: name.to_owned(),
        phone,
        groups,
        tags,
    })
}

/// Reads a contact CSV (see the [module docs](self)). `router` decides which numbers are
/// mobile numbers of a known segment (its segment table and portability overrides; links
/// do not matter here). An error means the file as a whole cannot be read; bad records
/// are in the plan.
pub fn parse_csv(bytes: &[u8], router: &Router) -> Result<ImportPlan, CsvImportError> {
    let (text, encoding) = decode(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = match records.next() {
        None => return Err(CsvImportError::Empty),
        Some(Err(e)) => return Err(csv_error(&e, &LineIndex::new(&text))),
        Some(Ok(h)) => h,
    };
    let cols = columns(&header)?;
    let mut plan = ImportPlan {
        encoding,
        records: 0,
        rows: Vec::new(),
        bad: Vec::new(),
        merged: Vec::new(),
    };
    let lines = LineIndex::new(&text);
    let mut first_of: HashMap<String, usize> = HashMap::new();
    for record in records {
        let record = record.map_err(|e| csv_error(&e, &lines))?;
        let line = lines.record_line(record.position());
        plan.records += 1;
        let row = match read_record(&record, line, cols, router) {
            Ok(row) => row,
            Err(bad) => {
                plan.bad.push(bad);
                continue;
            }
        };
        match first_of.get(&row.phone) {
            Some(&at) => {
                if let Some(first) = plan.rows.get_mut(at) {
                    plan.merged.push((row.line, first.line));
                    if first.name.is_empty() {
                        first.name = row.name;
                    }
                    union_into(&mut first.groups, row.groups);
                    union_into(&mut first.tags, row.tags);
                }
            }
            None => {
                first_of.insert(row.phone.clone(), plan.rows.len());
                plan.rows.push(row);
            }
        }
    }
    Ok(plan)
}

fn csv_error(e: &csv::Error, lines: &LineIndex<'_>) -> CsvImportError {
    CsvImportError::Csv {
        line: lines.record_line(e.position()),
        reason: e.to_string(),
    }
}

/// Physical line numbers of byte offsets. The CSV reader's own line count is where the
/// previous record *ended* (before blank lines, and before the `\n` of a `\r\n`), so the
/// start of a record is found here instead: its read position, past any line breaks.
struct LineIndex<'a> {
    text: &'a [u8],
    /// Offsets of the line breaks: every `\n`, and every `\r` not followed by `\n`.
    breaks: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.as_bytes();
        let breaks = text
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && text.get(i + 1) != Some(&b'\n')))
            .map(|(i, _)| i)
            .collect();
        Self { text, breaks }
    }

    /// The line (from 1) of the first byte of the record read from `pos`.
    fn record_line(&self, pos: Option<&csv::Position>) -> u64 {
        let from = pos
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(0);
        let skipped = self
            .text
            .get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let start = from + skipped;
        let before = self.breaks.partition_point(|&at| at < start);
        u64::try_from(before).map_or(u64::MAX, |n| n + 1)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> ImportPlan {
        parse_csv(text.as_bytes(), &Router::default()).unwrap()
    }

    fn codes(plan: &ImportPlan) -> Vec<(u64, &str)> {
        plan.bad.iter().map(|b| (b.line, b.code.as_str())).collect()
    }

    #[test]
    fn a_utf8_file_with_english_headers_reads_every_column() {
        let plan = parse(
            "Name, Phone ,Groups,Tags\n\
             张三,+86 138 0013 8000,销售;华东,VIP|重要\n\
             李四,0086-133-0013-3000,运维,\n\
             ,13012345678,,\n",
        );
        assert_eq!(plan.encoding, SourceEncoding::Utf8);
        assert_eq!(plan.records, 3);
        assert!(plan.bad.is_empty(), "{:?}", plan.bad);
        assert_eq!(
            plan.rows,
            vec![
                ContactRow {
                    line: 2,
                    name: "张三".into(),
                    phone: "13800138000".into(),
                    groups: vec!["销售".into(), "华东".into()],
                    tags: vec!["VIP".into(), "重要".into()],
                },
                ContactRow {
                    line: 3,
                    name: "李四".into(),
                    phone: "13300133000".into(),
                    groups: vec!["运维".into()],
                    tags: vec![],
                },
                ContactRow {
                    line: 4,
                    name: String::new(),
                    phone: "13012345678".into(),
                    groups: vec![],
                    tags: vec![],
                },
            ]
        );
    }

    #[test]
    fn a_bom_is_dropped_and_reported() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice("phone,name\n13800138000,王五\n".as_bytes());
        let plan = parse_csv(&bytes, &Router::default()).unwrap();
        assert_eq!(plan.encoding, SourceEncoding::Utf8Bom);
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].name, "王五");
    }

    #[test]
    fn gbk_bytes_with_chinese_headers_are_decoded() {
        let text = "姓名,手机号,分组,标签\r\n\
                    张三,138-0013-8000,销售、华东,老客户；VIP\r\n\
                    李四,(133) 0013 3000,\"运维,值班\",\r\n";
        let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&bytes).is_err(), "really not UTF-8");
        let plan = parse_csv(&bytes, &Router::default()).unwrap();
        assert_eq!(plan.encoding, SourceEncoding::Gbk);
        assert!(plan.bad.is_empty(), "{:?}", plan.bad);
        assert_eq!(plan.rows[0].name, "张三");
        assert_eq!(plan.rows[0].phone, "13800138000");
        assert_eq!(plan.rows[0].groups, ["销售", "华东"]);
        assert_eq!(plan.rows[0].tags, ["老客户", "VIP"]);
        assert_eq!(plan.rows[1].phone, "13300133000");
        assert_eq!(plan.rows[1].groups, ["运维", "值班"]);
        assert_eq!(plan.rows[1].line, 3);
    }

    #[test]
    fn every_alias_of_every_header_is_accepted() {
        for (name, phone, groups, tags) in [
            ("name", "phone", "groups", "tags"),
            ("NAME", "Mobile", "Group", "TAG"),
            ("姓名", "手机", "分组", "标签"),
            (" 姓 名 ", "手机号", "群组", "标签"),
            ("name", "电话", "groups", "tags"),
        ] {
            let plan = parse(&format!(
                "{tags},{groups},{phone},{name}\nt,g,13800138000,n\n"
            ));
            assert!(plan.bad.is_empty(), "{phone}: {:?}", plan.bad);
            let row = &plan.rows[0];
            assert_eq!(
                (
                    row.name.as_str(),
                    row.groups.as_slice(),
                    row.tags.as_slice()
                ),
                ("n", &["g".to_owned()][..], &["t".to_owned()][..]),
                "{name} {phone} {groups} {tags}"
            );
        }
    }

    #[test]
    fn a_file_without_a_phone_column_is_refused_naming_it() {
        let err = parse_csv("name,groups\nA,B\n".as_bytes(), &Router::default()).unwrap_err();
        assert_eq!(
            err,
            CsvImportError::MissingPhoneColumn {
                found: "name, groups".into()
            }
        );
        assert!(err.to_string().contains("phone column"));
        assert_eq!(
            parse_csv(b"", &Router::default()).unwrap_err(),
            CsvImportError::Empty
        );
    }

    #[test]
    fn bytes_that_are_neither_utf8_nor_gbk_are_refused() {
        // 0xFF is neither a GBK lead byte nor valid UTF-8.
        let err = parse_csv(b"phone\n\xFF\xFF\n", &Router::default()).unwrap_err();
        assert_eq!(err, CsvImportError::Encoding { utf8_error_at: 6 });
        // A BOM then invalid UTF-8 is not taken for GBK.
        let err = parse_csv(b"\xEF\xBB\xBFphone\n\xC4\xE3\n", &Router::default()).unwrap_err();
        assert!(matches!(err, CsvImportError::Encoding { .. }));
    }

    #[test]
    fn a_quoted_cell_with_line_breaks_keeps_later_line_numbers_right() {
        let plan = parse(
            "name,phone,tags\n\
             \"多行\n的\n名字\",13800138000,\"a\nb\"\n\
             bad,12345,\n\
             \n\
             ok,13300133000,\n",
        );
        assert_eq!(plan.rows[0].line, 2);
        assert_eq!(plan.rows[0].name, "多行\n的\n名字");
        assert_eq!(plan.rows[0].tags, ["a", "b"]);
        // The first record spans lines 2–5; then line 6 (bad), 7 blank, 8.
        assert_eq!(codes(&plan), [(6, "service_code")]);
        assert_eq!(plan.rows[1].line, 8);
        assert_eq!(plan.records, 3);
    }

    #[test]
    fn line_numbers_count_crlf_lone_cr_and_blank_lines() {
        for (eol, name) in [("\r\n", "crlf"), ("\n", "lf"), ("\r", "cr")] {
            let text = ["phone", "", "12345", "", "", "\"13800138000\"", "x", ""].join(eol);
            let plan = parse(&text);
            assert_eq!(
                codes(&plan),
                [(3, "service_code"), (7, "invalid_character")],
                "{name}"
            );
            assert_eq!(plan.rows[0].line, 6, "{name}");
        }
    }

    #[test]
    fn every_kind_of_bad_row_is_reported_with_its_line_column_and_reason() {
        let long = "名".repeat(MAX_NAME_CHARS + 1);
        let ok_name = "名".repeat(MAX_NAME_CHARS);
        let plan = parse(&format!(
            "name,phone,groups,tags\n\
             a,13800138000,g\n\
             b,,g,t\n\
             c, - ,g,t\n\
             d,010-12345678,,\n\
             e,10086,,\n\
             f,1380013800,,\n\
             g,138abc00138,,\n\
             h,14012345678,,\n\
             i,+1 202 555 0100,,\n\
             {long},13800138001,,\n\
             j,13800138002,{long},\n\
             k,13800138003,,x;{long}\n\
             {ok_name},13800138004,,\n\
             l,13800138005,g,t,extra\n"
        ));
        assert_eq!(
            codes(&plan),
            [
                (2, "column_count"),
                (3, "empty_phone"),
                (4, "empty_phone"),
                (5, "landline"),
                (6, "service_code"),
                (7, "wrong_length"),
                (8, "invalid_character"),
                (9, "unknown_segment"),
                (10, "not_mainland"),
                (11, "name_too_long"),
                (12, "group_too_long"),
                (13, "tag_too_long"),
                (15, "column_count"),
            ]
        );
        let fields: Vec<Field> = plan.bad.iter().map(|b| b.field).collect();
        assert_eq!(
            fields,
            [
                Field::Record,
                Field::Phone,
                Field::Phone,
                Field::Phone,
                Field::Phone,
                Field::Phone,
                Field::Phone,
                Field::Phone,
                Field::Phone,
                Field::Name,
                Field::Groups,
                Field::Tags,
                Field::Record,
            ]
        );
        assert_eq!(plan.bad[0].reason, "the row has 3 cells; the header has 4");
        // The router's own words for a bad number.
        let landline = crate::route::normalize("010-12345678").unwrap_err();
        assert!(plan.bad[3].reason.ends_with(&landline.to_string()));
        assert!(plan.bad[3].reason.starts_with("\"010-12345678\""));
        assert!(plan.bad[9].reason.contains("65 characters"));
        // The 64-character name is fine.
        assert_eq!(plan.rows.len(), 1);
        assert_eq!(plan.rows[0].line, 14);
        assert_eq!(plan.records, 14);
    }

    #[test]
    fn duplicates_are_merged_into_the_first_row() {
        let plan = parse(
            "name,phone,groups,tags\n\
             ,13800138000,销售,a\n\
             张三,+86 138 0013 8000,\"销售,华东\",b\n\
             李四,13300133000,,\n\
             张三丰,0086-138-0013-8000,华北,a|c\n\
             bad,0086-138-0013-800,华南,\n",
        );
        assert_eq!(plan.rows.len(), 2);
        let first = &plan.rows[0];
        assert_eq!(first.line, 2);
        assert_eq!(first.name, "张三", "the first non-empty name wins");
        assert_eq!(first.groups, ["销售", "华东", "华北"]);
        assert_eq!(first.tags, ["a", "b", "c"]);
        assert_eq!(plan.merged, [(3, 2), (5, 2)]);
        assert_eq!(codes(&plan), [(6, "wrong_length")]);
    }

    #[test]
    fn a_ported_number_of_an_unknown_segment_is_a_good_row() {
        let mut router = Router::default();
        let n = normalize("14012345678").unwrap();
        router
            .portability_mut()
            .insert(n, crate::route::Carrier::Mobile);
        let plan = parse_csv(b"phone\n14012345678\n", &router).unwrap();
        assert!(plan.bad.is_empty());
        assert_eq!(plan.rows[0].phone, "14012345678");
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_csv(&bytes, &Router::default());
        }

        #[test]
        fn arbitrary_text_after_a_header_never_panics(body in "[a-z0-9,;\"\n\r +\\-、|名]{0,200}") {
            let text = format!("name,phone,groups,tags\n{body}");
            let plan = parse_csv(text.as_bytes(), &Router::default()).unwrap();
            prop_assert_eq!(plan.records, plan.rows.len() + plan.bad.len() + plan.merged.len());
        }
    }
}
