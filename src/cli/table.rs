//! Columns for people: a Chinese character takes two cells of a terminal, so `{:<10}`
//! (which counts characters) misaligns every row holding a name like 张伟 or an answer
//! like 满意. [`Table`] pads by display width instead, and cuts over-long cells with `…`.

use unicode_width::UnicodeWidthStr;

/// Which side a column's cells keep to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// A table printed once all rows are in, so each column is as wide as its widest cell
/// (up to its cap).
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<(String, Align, usize)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these columns: heading, alignment, widest a cell may be (in terminal
    /// cells; longer ones end in `…`).
    pub fn new(columns: &[(&str, Align, usize)]) -> Self {
        Self {
            columns: columns
                .iter()
                .map(|(h, a, cap)| ((*h).to_owned(), *a, *cap))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty, extra ones ignored).
    pub fn row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.columns.len(), String::new());
        for (cell, (_, _, cap)) in row.iter_mut().zip(&self.columns) {
            *cell = cut(cell, *cap);
        }
        self.rows.push(row);
    }

    /// The lines: the heading, then each row; columns two cells apart, no trailing
    /// spaces.
    pub fn lines(&self) -> Vec<String> {
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (h, _, _))| {
                self.rows
                    .iter()
                    .map(|r| r[i].width())
                    .chain([h.width()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let heading: Vec<String> = self.columns.iter().map(|(h, _, _)| h.clone()).collect();
        std::iter::once(&heading)
            .chain(&self.rows)
            .map(|row| {
                let cells: Vec<String> = row
                    .iter()
                    .zip(&self.columns)
                    .zip(&widths)
                    .map(|((cell, (_, align, _)), w)| pad(cell, *w, *align))
                    .collect();
                cells.join("  ").trim_end().to_owned()
            })
            .collect()
    }
}

/// `s` padded with spaces to `width` terminal cells.
pub fn pad(s: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(s.width()));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

/// `s` cut to at most `cap` terminal cells, ending in `…` when cut; line breaks become
/// spaces so one cell stays one line.
fn cut(s: &str, cap: usize) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.width() <= cap {
        return s;
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > cap {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_cells_line_up_by_display_width() {
        let mut t = Table::new(&[
            ("number", Align::Left, 11),
            ("name", Align::Left, 8),
            ("count", Align::Right, 6),
        ]);
        t.row(["13800138000", "张伟", "12"]);
        t.row(["13900139000", "Li", "3"]);
        let lines = t.lines();
        assert_eq!(
            lines,
            [
                "number       name  count",
                "13800138000  张伟     12",
                "13900139000  Li        3",
            ]
        );
        // Every row is as wide on screen as the heading.
        let widths: Vec<usize> = lines.iter().map(|l| l.width()).collect();
        assert!(widths.iter().all(|w| *w == widths[0]), "{widths:?}");
    }

    #[test]
    fn long_cells_are_cut_with_an_ellipsis_and_stay_on_one_line() {
        let mut t = Table::new(&[("text", Align::Left, 7), ("n", Align::Right, 3)]);
        t.row(["非常满意谢谢你们", "1"]);
        t.row(["a\nb", "2"]);
        let lines = t.lines();
        assert_eq!(lines[1], "非常满…  1");
        assert_eq!(lines[2], "a b      2");
        assert!(lines.iter().all(|l| l.width() == 7 + 2 + 1));
    }

    #[test]
    fn padding_counts_cells_not_characters() {
        assert_eq!(pad("满意", 6, Align::Left), "满意  ");
        assert_eq!(pad("满意", 6, Align::Right), "  满意");
        assert_eq!(pad("toolong", 3, Align::Left), "toolong");
    }
}
