//! A main-indicator table in the layout plans print, read into plan rows.
//!
//! Headers are recognised by their content in any order ([`Column::of`]);
//! a category printed once for a block is carried down; merged cells
//! ([`Merge`]) give their value to every row they span, and to the target
//! column where they span it (a phrase printed across the year and growth
//! columns); units come from the brackets of the name; the years come from
//! the headers unless given.

use crate::error::{Error, Result};

/// The cells of a table as text, row by row, and its merged regions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    /// `cells[row][col]`, rows as in the file (a spreadsheet's row 1 is 0).
    pub cells: Vec<Vec<String>>,
    /// Merged regions; the value is the top-left cell's.
    pub merges: Vec<Merge>,
}

/// A merged region of a [`Grid`], inclusive, 0-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Merge {
    /// First row.
    pub first_row: usize,
    /// First column.
    pub first_col: usize,
    /// Last row.
    pub last_row: usize,
    /// Last column.
    pub last_col: usize,
}

impl Grid {
    /// A grid from CSV text (UTF-8, a byte-order mark allowed; rows may differ
    /// in length). CSV has no merged cells: a blank category is carried down.
    pub fn from_csv_str(text: &str) -> Result<Self> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut cells = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| Error::codec_at(format!("row {}", i + 1), e))?;
            cells.push(record.iter().map(str::to_string).collect());
        }
        Ok(Grid {
            cells,
            merges: Vec::new(),
        })
    }

    /// The text at `(row, col)`; empty outside the grid.
    pub fn get(&self, row: usize, col: usize) -> &str {
        self.cells
            .get(row)
            .and_then(|r| r.get(col))
            .map_or("", String::as_str)
    }

    fn set(&mut self, row: usize, col: usize, text: String) {
        if let Some(r) = self.cells.get_mut(row) {
            if r.len() <= col {
                r.resize(col + 1, String::new());
            }
            r[col] = text;
        }
    }

    /// Number of columns of the widest row.
    pub fn width(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(0)
    }

    /// The grid with every merged region resolved: the value goes to each row
    /// the region spans, in the target column `target_col` where the region
    /// spans it (below the header, row `header_row`), else in its first
    /// column; its other cells are blank.
    pub(crate) fn unmerged(&self, header_row: usize, target_col: Option<usize>) -> Grid {
        let mut g = Grid {
            cells: self.cells.clone(),
            merges: Vec::new(),
        };
        for m in &self.merges {
            // A region reversed, or starting beyond the cells read (a file
            // may claim any extent), holds nothing to spread.
            if m.last_row < m.first_row
                || m.last_col < m.first_col
                || m.first_row >= self.cells.len()
                || m.first_col >= self.width()
            {
                continue;
            }
            let value = self.get(m.first_row, m.first_col).to_string();
            let col = match target_col {
                Some(t) if m.first_row > header_row && (m.first_col..=m.last_col).contains(&t) => t,
                _ => m.first_col,
            };
            // Regions beyond the cells read are clipped: `set` ignores them.
            let last_row = m.last_row.min(self.cells.len().saturating_sub(1));
            for r in m.first_row..=last_row {
                for c in m.first_col..=m.last_col.min(self.width() - 1) {
                    g.set(r, c, String::new());
                }
                g.set(r, col, value.clone());
            }
        }
        g
    }
}

/// What a column of a plan table holds, recognised from its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// 类别, 领域: the category, printed once per block.
    Category,
    /// 序号: the row number.
    No,
    /// 指标, 主要指标: the name, with the unit in brackets.
    Name,
    /// 单位: the unit, where not in the name's brackets.
    Unit,
    /// An English name (英文名称, name): the id and `name`.
    English,
    /// `id`: the id itself, as `attain export` writes it.
    Id,
    /// A year column ("2020年", "2025年目标").
    Year(i32),
    /// 基期 / 现状: the base-year value, year not printed.
    Base,
    /// 目标 / 目标值: the target, year not printed.
    Target,
    /// 年均增长%, 年均/累计: the average annual growth.
    Growth,
    /// 属性: expected or binding.
    Attribute,
    /// 备注: a note.
    Note,
}

impl Column {
    /// The column a header names, if it names one the importer knows.
    pub fn of(header: &str) -> Option<Column> {
        let h: String = header.chars().filter(|c| !c.is_whitespace()).collect();
        let lower = h.to_lowercase();
        if h.is_empty() {
            return None;
        }
        if lower == "id" {
            return Some(Column::Id);
        }
        if h.contains("英文") || lower == "name" || lower == "english" || lower == "englishname" {
            return Some(Column::English);
        }
        if let Some(y) = header_year(&h) {
            return Some(Column::Year(y));
        }
        let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
        if has(&["属性"]) {
            Some(Column::Attribute)
        } else if has(&["类别", "领域", "分类"]) || h == "类" {
            Some(Column::Category)
        } else if has(&["序号", "编号"]) || lower == "no" || lower == "no." {
            Some(Column::No)
        } else if has(&["备注"]) {
            Some(Column::Note)
        } else if has(&["单位"]) {
            Some(Column::Unit)
        } else if has(&["年均", "增长", "增速", "累计"]) {
            Some(Column::Growth)
        } else if has(&["基期", "基年", "现状"]) {
            Some(Column::Base)
        } else if has(&["目标"]) {
            Some(Column::Target)
        } else if has(&["指标", "名称"]) {
            Some(Column::Name)
        } else {
            None
        }
    }
}

/// "2020年", "2025年目标", "2020": the year a header starts with.
fn header_year(h: &str) -> Option<i32> {
    let digits: String = h.chars().take_while(char::is_ascii_digit).collect();
    if digits.len() != 4 {
        return None;
    }
    let rest = &h[4..];
    if !(rest.is_empty() || rest.starts_with('年')) {
        return None;
    }
    digits.parse().ok()
}

/// Where the columns of a table are.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Layout {
    /// Row index of the header (of its lower row, for a header of two).
    pub header_row: usize,
    /// Row index of the header's first row: `header_row`, or the row above
    /// it for a header of two rows ("指标值" over "2020年 | 2025年").
    pub first_header_row: usize,
    /// Each known column's index, and the header text as printed.
    pub columns: Vec<(Column, usize, String)>,
}

impl Layout {
    /// The index of the first column of kind `c`.
    pub fn col(&self, c: Column) -> Option<usize> {
        self.columns.iter().find(|x| x.0 == c).map(|x| x.1)
    }

    /// The header text of column `i`, or its letter.
    pub fn header(&self, i: usize) -> String {
        self.columns
            .iter()
            .find(|x| x.1 == i)
            .map_or_else(|| column_letter(i), |x| x.2.clone())
    }

    /// The year columns, in table order.
    pub fn years(&self) -> Vec<(i32, usize)> {
        self.columns
            .iter()
            .filter_map(|x| match x.0 {
                Column::Year(y) => Some((y, x.1)),
                _ => None,
            })
            .collect()
    }
}

/// A spreadsheet's letter for 0-based column `i` (0 -> A, 26 -> AA).
pub fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A header printed on two rows: a group header over sub-headers ("指标值"
/// merged over "2020年 | 2025年"), the other headers printed once (or
/// merged down both rows). It is one when row `r` prints no year and row
/// `r + 1` prints a year and otherwise only what row `r` prints above it (a
/// merged cell's copy). Each column's header is then the lower cell, or the
/// upper where the lower is blank.
fn two_row_header(grid: &Grid, r: usize) -> Option<Vec<String>> {
    let (upper, lower) = (grid.cells.get(r)?, grid.cells.get(r + 1)?);
    let is_year = |h: &str| matches!(Column::of(h), Some(Column::Year(_)));
    if upper.iter().any(|h| is_year(h)) || !lower.iter().any(|h| is_year(h)) {
        return None;
    }
    let width = upper.len().max(lower.len());
    let at = |row: &Vec<String>, c: usize| row.get(c).map_or("", |h| h.trim()).to_string();
    let fits = (0..width).all(|c| {
        let l = at(lower, c);
        l.is_empty() || is_year(&l) || l == at(upper, c)
    });
    fits.then(|| {
        (0..width)
            .map(|c| match at(lower, c) {
                l if l.is_empty() => at(upper, c),
                l => l,
            })
            .collect()
    })
}

/// Finds the header: the first of the first 20 rows with a name column and
/// at least one value column (a year, base or target), or the first pair of
/// rows that makes one (a group header over the years). Every other non-empty cell of
/// it must be a column the importer knows: a column it cannot place would
/// be lost.
pub fn find_layout(grid: &Grid) -> Result<Layout> {
    for r in 0..grid.cells.len().min(20) {
        let two = two_row_header(grid, r);
        let first_header_row = r;
        let (r, row) = match &two {
            Some(h) => (r + 1, h),
            None => (r, &grid.cells[r]),
        };
        let kinds: Vec<Option<Column>> = row.iter().map(|h| Column::of(h)).collect();
        let has_name = kinds.contains(&Some(Column::Name));
        let has_value = kinds.iter().any(|k| {
            matches!(
                k,
                Some(Column::Year(_) | Column::Base | Column::Target | Column::Growth)
            )
        });
        if !(has_name && has_value) {
            continue;
        }
        let mut columns = Vec::new();
        for (c, (text, kind)) in row.iter().zip(kinds).enumerate() {
            match kind {
                Some(k) => {
                    let repeated = columns.iter().any(|x: &(Column, usize, String)| x.0 == k);
                    if repeated && !matches!(k, Column::Year(_)) {
                        return Err(Error::cell(
                            r + 1,
                            &column_letter(c),
                            text,
                            "is a second column of the same kind as an earlier header",
                        ));
                    }
                    columns.push((k, c, text.trim().to_string()));
                }
                None if text.trim().is_empty() => {}
                None => {
                    return Err(Error::cell(
                        r + 1,
                        &column_letter(c),
                        text,
                        "is a header the importer does not know (known: 类别, 序号, 指标, \
                         单位, id, 英文名称, YYYY年, 基期, 目标, 年均增长, 属性, 备注)",
                    ));
                }
            }
        }
        return Ok(Layout {
            header_row: r,
            first_header_row,
            columns,
        });
    }
    Err(Error::Format(
        "no header row found in the first 20 rows: it needs a name column (指标) and a \
         value column (a year such as 2025年, 目标 or 年均增长)"
            .into(),
    ))
}

/// "进出口总额（亿元）" -> ("进出口总额", "亿元"); a name without brackets at
/// its end has no unit. Whitespace (a name broken over lines) is removed.
pub fn split_unit(name: &str) -> (String, Option<String>) {
    let n: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(inner) = n.strip_suffix(close)
            && let Some(at) = inner.rfind(open)
        {
            let unit = &inner[at + open.len_utf8()..];
            let stem = &inner[..at];
            if !stem.is_empty() {
                return (stem.to_string(), Some(unit.to_string()));
            }
        }
    }
    (n, None)
}

/// An English name as an id: lower case, words joined by `_`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            gap = false;
        } else {
            gap = true;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_recognised_by_content() {
        use Column::*;
        for (h, c) in [
            ("类\n别", Some(Category)),
            ("序\n号", Some(No)),
            ("主要指标", Some(Name)),
            ("指标名称", Some(Name)),
            ("2020年", Some(Year(2020))),
            ("2025年目标", Some(Year(2025))),
            ("年均\n增长%", Some(Growth)),
            ("年均/累计", Some(Growth)),
            ("属性", Some(Attribute)),
            ("指标属性", Some(Attribute)),
            ("单位", Some(Unit)),
            ("id", Some(Id)),
            ("英文名称", Some(English)),
            ("基期", Some(Base)),
            ("目标值", Some(Target)),
            ("备注", Some(Note)),
            ("颜色", None),
            ("", None),
        ] {
            assert_eq!(Column::of(h), c, "{h:?}");
        }
    }

    #[test]
    fn units_come_from_brackets() {
        assert_eq!(
            split_unit("进出口总额（亿元）"),
            ("进出口总额".into(), Some("亿元".into()))
        );
        assert_eq!(
            split_unit("社会消费品零售总额\n\n（亿元）"),
            ("社会消费品零售总额".into(), Some("亿元".into()))
        );
        assert_eq!(
            split_unit("对外贸易依存度(%)"),
            ("对外贸易依存度".into(), Some("%".into()))
        );
        assert_eq!(split_unit("利用外资"), ("利用外资".into(), None));
    }

    #[test]
    fn letters_and_slugs() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(slug("Total imports & exports"), "total_imports_exports");
        assert_eq!(slug("  GDP "), "gdp");
    }

    #[test]
    fn merged_regions_fill_rows_and_give_the_target_column_its_phrase() {
        let mut g = Grid {
            cells: vec![
                vec![
                    "对外贸易".into(),
                    "每年新增100个".into(),
                    "".into(),
                    "".into(),
                ],
                vec!["".into(), "1".into(), "2".into(), "3".into()],
            ],
            merges: vec![
                Merge {
                    first_row: 0,
                    first_col: 0,
                    last_row: 1,
                    last_col: 0,
                },
                Merge {
                    first_row: 0,
                    first_col: 1,
                    last_row: 0,
                    last_col: 3,
                },
            ],
        };
        // Row 0 taken as the header: its merge keeps its first column.
        let u = g.unmerged(0, Some(2));
        assert_eq!(u.cells[0], ["对外贸易", "每年新增100个", "", ""]);
        // Below a header row: the phrase goes to the target column.
        let mut h = g.clone();
        h.cells.insert(0, vec!["类别".into()]);
        for m in &mut h.merges {
            m.first_row += 1;
            m.last_row += 1;
        }
        let u = h.unmerged(0, Some(2));
        assert_eq!(u.cells[1], ["对外贸易", "", "每年新增100个", ""]);
        assert_eq!(u.cells[2], ["对外贸易", "1", "2", "3"]);
        // Out of range regions are clipped, not a panic.
        g.merges.push(Merge {
            first_row: 5,
            first_col: 9,
            last_row: 99,
            last_col: 99,
        });
        g.merges.push(Merge {
            first_row: 1,
            first_col: 1,
            last_row: usize::MAX,
            last_col: usize::MAX,
        });
        let u = g.unmerged(0, None);
        assert_eq!(u.cells.len(), 2);
        assert_eq!(u.cells[1], ["对外贸易", "1", "", ""]);
    }

    #[test]
    fn a_header_it_does_not_know_is_an_error_naming_the_cell() {
        let g = Grid::from_csv_str("指标,2020年,2025年,颜色\n").unwrap();
        let e = find_layout(&g).unwrap_err();
        assert!(
            matches!(&e, Error::Cell { row: 1, column, text, .. } if column == "D" && text == "颜色"),
            "{e}"
        );
        let g = Grid::from_csv_str("a,b\n1,2\n").unwrap();
        assert!(matches!(find_layout(&g), Err(Error::Format(_))));
    }
}
