//! Per-number carrier overrides for ported numbers (携号转网).
//!
//! Since nationwide number portability (2019) a number keeps its segment when its owner
//! moves carrier, so the segment table is wrong for it. The overrides come from wherever
//! the operator learns of ports — typically a CSV exported from a carrier portal or kept
//! by hand — and are imported with [`PortabilityTable::import_csv`], which follows the
//! project rule for bulk input: every bad row is reported with its line number and reason,
//! and every good row is imported.
//!
//! # CSV format
//!
//! ```text
//! number,carrier            ← optional header (a first row whose number has no digits)
//! # comments and blank lines are ignored
//! 13800138000,telecom
//! +86 139-0013-9000,中国联通  # trailing comments too
//! ```
//!
//! * UTF-8, with or without a BOM; `\n` or `\r\n` line ends. A UTF-16 file is refused as a
//!   whole rather than producing one error per line.
//! * Separator `,`, tab or the full-width `，`; fields may be wrapped in `"`; empty trailing
//!   fields (as spreadsheets write them) are ignored.
//! * Numbers in any form [`normalize`] accepts, carriers in any form [`Carrier`] parses.
//! * A later row for the same number wins and is counted as an update.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};

use super::carrier::{Carrier, CarrierParseError};
use super::number::{Msisdn, NumberError, normalize};

/// Rejected rows quote at most this many characters of the line.
const QUOTED_CHARS: usize = 120;

/// Number → carrier overrides, consulted before the segment table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortabilityTable {
    entries: HashMap<Msisdn, Carrier>,
}

impl PortabilityTable {
    /// An empty table.
    pub fn new() -> PortabilityTable {
        PortabilityTable::default()
    }

    /// Records that `number` is now served by `carrier`; returns the previous override.
    pub fn insert(&mut self, number: Msisdn, carrier: Carrier) -> Option<Carrier> {
        self.entries.insert(number, carrier)
    }

    /// Drops the override for `number` (it ported back, or the entry was wrong).
    pub fn remove(&mut self, number: &Msisdn) -> Option<Carrier> {
        self.entries.remove(number)
    }

    /// The override for `number`, if any.
    pub fn get(&self, number: &Msisdn) -> Option<Carrier> {
        self.entries.get(number).copied()
    }

    /// Number of overrides.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no overrides.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every override, sorted by number.
    pub fn entries(&self) -> Vec<(Msisdn, Carrier)> {
        let mut all: Vec<_> = self.entries.iter().map(|(n, c)| (*n, *c)).collect();
        all.sort_unstable();
        all
    }

    /// Imports `number,carrier` rows (format in the module docs). Good rows are applied
    /// even when others are bad; the report lists each bad row. Fails only when the input
    /// cannot be read at all (I/O error — rows before it stay imported — or UTF-16).
    pub fn import_csv<R: BufRead>(&mut self, mut reader: R) -> Result<ImportReport, ImportError> {
        let mut report = ImportReport::default();
        let mut buf = Vec::new();
        let mut line_no = 0;
        let mut seen_data = false;
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => return Ok(report),
                Ok(_) => {}
                Err(source) => {
                    return Err(ImportError::Io {
                        line: line_no + 1,
                        source,
                        report,
                    });
                }
            }
            line_no += 1;
            if line_no == 1 && (buf.starts_with(&[0xFF, 0xFE]) || buf.starts_with(&[0xFE, 0xFF])) {
                return Err(ImportError::Utf16);
            }
            let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let raw = line.strip_suffix(b"\r").unwrap_or(line);
            let text = match std::str::from_utf8(raw) {
                Ok(text) => text,
                Err(_) => {
                    report.reject(line_no, &String::from_utf8_lossy(raw), RowError::NotUtf8);
                    continue;
                }
            };
            let text = if line_no == 1 {
                text.strip_prefix('\u{FEFF}').unwrap_or(text)
            } else {
                text
            };
            let content = text.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let first_data_row = !seen_data;
            seen_data = true;
            match parse_row(content) {
                Ok((number, carrier)) => {
                    if self.entries.insert(number, carrier).is_some() {
                        report.updated += 1;
                    } else {
                        report.added += 1;
                    }
                }
                Err(_) if first_data_row && is_header(content) => report.header = true,
                Err(reason) => report.reject(line_no, text, reason),
            }
        }
    }

    /// Writes the table as CSV with a `number,carrier` header, sorted by number — the
    /// format [`PortabilityTable::import_csv`] reads.
    pub fn write_csv<W: Write>(&self, mut out: W) -> io::Result<()> {
        writeln!(out, "number,carrier")?;
        for (number, carrier) in self.entries() {
            writeln!(out, "{number},{carrier}")?;
        }
        Ok(())
    }
}

/// A header is a first row whose number column has no digits (`number,carrier`,
/// `号码,运营商`).
fn is_header(content: &str) -> bool {
    let number_field = content.split(is_field_separator).next().unwrap_or_default();
    !number_field.chars().any(|c| c.is_ascii_digit())
}

fn is_field_separator(c: char) -> bool {
    matches!(c, ',' | '\t' | '，')
}

/// Reads one non-empty, comment-free row.
fn parse_row(content: &str) -> Result<(Msisdn, Carrier), RowError> {
    let mut fields: Vec<&str> = content
        .split(is_field_separator)
        .map(|f| {
            let f = f.trim();
            f.strip_prefix('"')
                .and_then(|f| f.strip_suffix('"'))
                .unwrap_or(f)
                .trim()
        })
        .collect();
    while fields.len() > 2 && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    match fields.as_slice() {
        [number, carrier] => {
            let number = normalize(number)?;
            if carrier.is_empty() {
                return Err(RowError::MissingCarrier);
            }
            Ok((number, carrier.parse()?))
        }
        [_] => Err(RowError::MissingCarrier),
        other => Err(RowError::Columns { found: other.len() }),
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Numbers that had no override before.
    pub added: usize,
    /// Rows that replaced an override (from an earlier import or an earlier row).
    pub updated: usize,
    /// Whether a header row was recognised and skipped.
    pub header: bool,
    /// Every row that was not imported, in file order.
    pub rejected: Vec<RejectedRow>,
}

impl ImportReport {
    /// Rows applied to the table.
    pub fn imported(&self) -> usize {
        self.added + self.updated
    }

    fn reject(&mut self, line: usize, text: &str, reason: RowError) {
        let mut quoted: String = text.chars().take(QUOTED_CHARS).collect();
        if text.chars().nth(QUOTED_CHARS).is_some() {
            quoted.push('…');
        }
        self.rejected.push(RejectedRow {
            line,
            text: quoted,
            reason,
        });
    }
}

/// A CSV row that was not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {reason} ({text:?})")]
pub struct RejectedRow {
    /// 1-based line number in the file.
    pub line: usize,
    /// The line as read (shortened if very long), to help find it.
    pub text: String,
    /// Why it was rejected.
    pub reason: RowError,
}

/// Why a CSV row was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// The bytes are not UTF-8 — usually a file saved as GBK.
    #[error("the line is not valid UTF-8; save the file as UTF-8 (GBK is not accepted)")]
    NotUtf8,
    /// Only a number, or an empty carrier column.
    #[error("the carrier column is missing; rows are number,carrier")]
    MissingCarrier,
    /// More than two non-empty columns.
    #[error("expected 2 columns (number,carrier) but found {found}")]
    Columns {
        /// Columns found.
        found: usize,
    },
    /// The number column is not a mainland mobile number.
    #[error(transparent)]
    Number(#[from] NumberError),
    /// The carrier column is not a carrier.
    #[error(transparent)]
    Carrier(#[from] CarrierParseError),
}

/// An import that could not read its input.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading failed at `line`; rows before it were imported, as `report` says.
    #[error("reading the portability file failed at line {line}: {source}")]
    Io {
        /// The line being read when it failed.
        line: usize,
        /// The I/O error.
        #[source]
        source: io::Error,
        /// What was imported before the failure.
        report: ImportReport,
    },
    /// The file starts with a UTF-16 byte-order mark.
    #[error("the portability file is UTF-16; save it as UTF-8")]
    Utf16,
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn n(s: &str) -> Msisdn {
        normalize(s).unwrap()
    }

    fn import(table: &mut PortabilityTable, text: &[u8]) -> ImportReport {
        table.import_csv(text).unwrap()
    }

    #[test]
    fn insert_get_remove() {
        let mut t = PortabilityTable::new();
        assert!(t.is_empty());
        assert_eq!(t.insert(n("13800138000"), Carrier::Telecom), None);
        assert_eq!(t.get(&n("13800138000")), Some(Carrier::Telecom));
        assert_eq!(
            t.insert(n("13800138000"), Carrier::Unicom),
            Some(Carrier::Telecom)
        );
        assert_eq!(t.get(&n("13800138000")), Some(Carrier::Unicom));
        assert_eq!(t.len(), 1);
        assert_eq!(t.get(&n("13900139000")), None);
        assert_eq!(t.remove(&n("13800138000")), Some(Carrier::Unicom));
        assert_eq!(t.remove(&n("13800138000")), None);
        assert!(t.is_empty());
    }

    #[test]
    fn import_with_header_bom_comments_and_crlf() {
        let mut t = PortabilityTable::new();
        let csv = "\u{FEFF}number,carrier\r\n\
                   # ported in 2024\r\n\
                   \r\n\
                   13800138000,telecom\r\n\
                   +86 139-0013-9000,中国联通  # from the portal\r\n\
                   \"13300133000\",\"cmcc\"\r\n\
                   15000150000\tct\n\
                   15100151000，移动,,\n";
        let r = import(&mut t, csv.as_bytes());
        assert!(r.header);
        assert_eq!((r.added, r.updated), (5, 0));
        assert!(r.rejected.is_empty(), "{:?}", r.rejected);
        assert_eq!(t.get(&n("13800138000")), Some(Carrier::Telecom));
        assert_eq!(t.get(&n("13900139000")), Some(Carrier::Unicom));
        assert_eq!(t.get(&n("13300133000")), Some(Carrier::Mobile));
        assert_eq!(t.get(&n("15000150000")), Some(Carrier::Telecom));
        assert_eq!(t.get(&n("15100151000")), Some(Carrier::Mobile));
    }

    #[test]
    fn header_is_optional() {
        let mut t = PortabilityTable::new();
        let r = import(&mut t, b"13800138000,telecom");
        assert!(!r.header);
        assert_eq!(r.added, 1);
        // A Chinese header is recognised too, and only as the first data row.
        let r = import(
            &mut t,
            "号码,运营商\n13900139000,unicom\n号码,运营商\n".as_bytes(),
        );
        assert!(r.header);
        assert_eq!(r.added, 1);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 3);
    }

    #[test]
    fn bad_rows_are_reported_and_good_rows_still_imported() {
        let mut t = PortabilityTable::new();
        let csv = "number,carrier\n\
                   13800138000,telecom\n\
                   010-12345678,mobile\n\
                   13900139000,vodafone\n\
                   13700137000\n\
                   13600136000,\n\
                   13500135000,mobile,extra\n\
                   1380013800,unicom\n\
                   13300133000,unicom\n";
        let r = import(&mut t, csv.as_bytes());
        assert_eq!((r.added, r.updated, r.imported()), (2, 0, 2));
        let lines: Vec<usize> = r.rejected.iter().map(|row| row.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8]);
        let reasons: Vec<&RowError> = r.rejected.iter().map(|row| &row.reason).collect();
        assert!(matches!(
            reasons[0],
            RowError::Number(NumberError::Landline { .. })
        ));
        assert!(
            matches!(reasons[1], RowError::Carrier(CarrierParseError::Unknown(c)) if c == "vodafone")
        );
        assert_eq!(reasons[2], &RowError::MissingCarrier);
        assert_eq!(reasons[3], &RowError::MissingCarrier);
        assert_eq!(reasons[4], &RowError::Columns { found: 3 });
        assert_eq!(
            reasons[5],
            &RowError::Number(NumberError::WrongLength { digits: 10 })
        );
        assert_eq!(r.rejected[0].text, "010-12345678,mobile");
        assert_eq!(
            r.rejected[4].to_string(),
            "line 7: expected 2 columns (number,carrier) but found 3 (\"13500135000,mobile,extra\")"
        );
        assert_eq!(t.get(&n("13800138000")), Some(Carrier::Telecom));
        assert_eq!(t.get(&n("13300133000")), Some(Carrier::Unicom));
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn later_rows_win_and_count_as_updates() {
        let mut t = PortabilityTable::new();
        t.insert(n("13900139000"), Carrier::Mobile);
        let csv = "13800138000,telecom\n\
                   +8613800138000,unicom\n\
                   13900139000,telecom\n";
        let r = import(&mut t, csv.as_bytes());
        assert_eq!((r.added, r.updated), (1, 2));
        assert_eq!(t.get(&n("13800138000")), Some(Carrier::Unicom));
        assert_eq!(t.get(&n("13900139000")), Some(Carrier::Telecom));
    }

    #[test]
    fn non_utf8_rows_are_rejected_individually() {
        let mut t = PortabilityTable::new();
        // "移动" in GBK is D2 C6 B6 AF.
        let mut csv = b"13800138000,\xD2\xC6\xB6\xAF\n".to_vec();
        csv.extend_from_slice(b"13900139000,mobile\n");
        let r = import(&mut t, &csv);
        assert_eq!(r.added, 1);
        assert_eq!(r.rejected.len(), 1);
        assert_eq!(r.rejected[0].line, 1);
        assert_eq!(r.rejected[0].reason, RowError::NotUtf8);
        assert!(r.rejected[0].reason.to_string().contains("GBK"));
    }

    #[test]
    fn utf16_files_are_refused_whole() {
        let mut t = PortabilityTable::new();
        let err = t.import_csv(&b"\xFF\xFE1\x003\x00"[..]).unwrap_err();
        assert!(matches!(err, ImportError::Utf16));
        assert!(t.is_empty());
    }

    #[test]
    fn io_error_keeps_rows_read_before_it() {
        struct Failing<'a>(&'a [u8]);
        impl io::Read for Failing<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::Error::other("disk gone"));
                }
                let k = self.0.len().min(buf.len());
                buf[..k].copy_from_slice(&self.0[..k]);
                self.0 = &self.0[k..];
                Ok(k)
            }
        }
        let mut t = PortabilityTable::new();
        let reader = io::BufReader::new(Failing(b"13800138000,telecom\n13900139000,unicom\n"));
        let err = t.import_csv(reader).unwrap_err();
        let ImportError::Io { line, report, .. } = &err else {
            panic!("{err:?}");
        };
        assert_eq!(*line, 3);
        assert_eq!(report.added, 2);
        assert_eq!(t.len(), 2);
        assert!(err.to_string().contains("disk gone"), "{err}");
    }

    #[test]
    fn long_rejected_lines_are_shortened() {
        let mut t = PortabilityTable::new();
        let line = format!("13800138000,{}", "x".repeat(500));
        let r = import(&mut t, line.as_bytes());
        assert_eq!(r.rejected[0].text.chars().count(), QUOTED_CHARS + 1);
        assert!(r.rejected[0].text.ends_with('…'));
    }

    #[test]
    fn write_csv_round_trips() {
        let mut t = PortabilityTable::new();
        t.insert(n("13900139000"), Carrier::Broadnet);
        t.insert(n("13800138000"), Carrier::Telecom);
        let mut out = Vec::new();
        t.write_csv(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "number,carrier\n13800138000,telecom\n13900139000,broadnet\n"
        );
        let mut back = PortabilityTable::new();
        let r = import(&mut back, &out);
        assert!(r.header && r.rejected.is_empty());
        assert_eq!(back, t);
    }
}
