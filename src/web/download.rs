//! CSV downloads that open in Excel: UTF-8 with a byte-order mark, CRLF lines, a
//! `Content-Disposition` with the file name, streamed in chunks as the rows are read —
//! an export of a long history never sits in memory whole.
//!
//! ```text
//! let (mut csv, response) = download::csv("audit.csv");
//! tokio::spawn(async move {
//!     csv.row(["time", "account"]).await?;
//!     for page in … { for e in page { csv.row([…]).await?; } }
//!     csv.finish().await
//! });
//! response
//! ```
//!
//! A cell that a spreadsheet would run as a formula (`=`, `@`, or `+`/`-` not followed by
//! a digit) is written with a leading `'`.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use http_body_util::channel::{Channel, Sender};

/// Bytes gathered before a chunk is sent.
const CHUNK: usize = 32 * 1024;

/// The browser went away: stop producing rows.
#[derive(Debug, thiserror::Error)]
#[error("the download was closed by the client")]
pub struct Closed;

/// Writes the rows of one download.
#[derive(Debug)]
pub struct CsvWriter {
    tx: Sender<Bytes, std::io::Error>,
    buf: Vec<u8>,
}

/// A CSV download named `filename`: the writer to fill, and the response to return.
pub fn csv(filename: &str) -> (CsvWriter, Response) {
    let (tx, body) = Channel::<Bytes, std::io::Error>::new(4);
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        filename.replace(
            |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
            "_"
        ),
        super::forms::encode(filename)
    );
    let mut res = Body::new(body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    (
        CsvWriter {
            tx,
            // The byte-order mark tells Excel the file is UTF-8.
            buf: b"\xEF\xBB\xBF".to_vec(),
        },
        res,
    )
}

/// `s` as a spreadsheet cell that is never run as a formula.
fn defuse(s: &str) -> std::borrow::Cow<'_, str> {
    let mut c = s.chars();
    let risky = match c.next() {
        Some('=' | '@' | '\t' | '\r') => true,
        Some('+' | '-') => !c.next().is_some_and(|d| d.is_ascii_digit()),
        _ => false,
    };
    if risky {
        format!("'{s}").into()
    } else {
        s.into()
    }
}

impl CsvWriter {
    /// Appends one row.
    pub async fn row<I, T>(&mut self, fields: I) -> Result<(), Closed>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        let cells: Vec<String> = fields
            .into_iter()
            .map(|f| defuse(f.as_ref()).into_owned())
            .collect();
        // Writing into a Vec cannot fail.
        let _ = w.write_record(&cells);
        if let Ok(line) = w.into_inner() {
            self.buf.extend_from_slice(&line);
        }
        if self.buf.len() >= CHUNK {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Closed> {
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        self.tx.send_data(chunk).await.map_err(|_| Closed)
    }

    /// Sends what is left and ends the file.
    pub async fn finish(mut self) -> Result<(), Closed> {
        if !self.buf.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }

    /// Ends the download as failed (the browser shows it incomplete, not as a whole
    /// file).
    pub fn abort(self) {
        self.tx.abort(std::io::Error::other("the export failed"));
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_download_has_the_bom_crlf_rows_and_defused_formulas() {
        let (mut w, res) = csv("审计.csv");
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "text/csv; charset=utf-8"
        );
        let disp = res.headers()[header::CONTENT_DISPOSITION].to_str().unwrap();
        assert!(
            disp.contains("filename*=UTF-8''%E5%AE%A1%E8%AE%A1.csv"),
            "{disp}"
        );
        let task = tokio::spawn(async move {
            w.row(["时间", "a,b"]).await.unwrap();
            w.row(["=cmd()", "+8613800138000"]).await.unwrap();
            w.row(["-x", "@y"]).await.unwrap();
            w.finish().await.unwrap();
        });
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        task.await.unwrap();
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(
            text,
            "\u{feff}时间,\"a,b\"\r\n'=cmd(),+8613800138000\r\n'-x,'@y\r\n"
        );
    }
}
