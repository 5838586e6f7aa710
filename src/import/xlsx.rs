//! Plan tables as spreadsheets (feature `xlsx`): XLSX, XLS and ODS read
//! with calamine, merged cells included (XLSX and XLS; calamine reads none
//! from ODS, where a category printed once is carried down as in CSV), and
//! XLSX written with rust_xlsxwriter, merges included.

use std::io::Cursor;
use std::path::Path;

use calamine::{Data, Dimensions, Ods, Range, Reader, Xls, Xlsx};

use crate::error::{Error, Result};
use crate::import::table::{Grid, Merge};

/// The largest table read: a plan table has tens of rows; a sheet beyond
/// this is not one, and would cost memory to hold as a grid.
const MAX_CELLS: usize = 200_000;

/// The spreadsheet formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML (`.xlsx`).
    Xlsx,
    /// The older binary Excel format (`.xls`).
    Xls,
    /// OpenDocument (`.ods`).
    Ods,
}

impl Format {
    /// The format a file name's extension names, if a spreadsheet's.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "xls" => Some(Format::Xls),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }
}

/// Reads sheet `sheet` (default: the first) of the spreadsheet at `path`,
/// in the format its extension names (XLSX otherwise).
pub fn read(path: &Path, sheet: Option<&str>) -> Result<Grid> {
    let bytes = std::fs::read(path).map_err(|e| Error::File {
        path: path.to_path_buf(),
        source: crate::error::Cause::new(e),
    })?;
    let format = Format::of(path).unwrap_or(Format::Xlsx);
    read_bytes_as(&bytes, format, sheet).map_err(|e| e.in_file(path))
}

/// Reads sheet `sheet` (default: the first) of an XLSX file's bytes.
pub fn read_bytes(bytes: &[u8], sheet: Option<&str>) -> Result<Grid> {
    read_bytes_as(bytes, Format::Xlsx, sheet)
}

/// Reads sheet `sheet` (default: the first) of a spreadsheet's bytes in
/// `format`.
pub fn read_bytes_as(bytes: &[u8], format: Format, sheet: Option<&str>) -> Result<Grid> {
    let what = match format {
        Format::Xlsx => "XLSX",
        Format::Xls => "XLS",
        Format::Ods => "ODS",
    };
    let open = |e: &dyn std::fmt::Display| Error::Format(format!("reading {what}: {e}"));
    match format {
        Format::Xlsx => {
            let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| open(&e))?;
            let name = sheet_name(book.sheet_names(), sheet)?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| sheet_err(&name, &e))?;
            let merges = book
                .merge_cells_by_sheet_name(&name)
                .map_err(|e| Error::codec_at(format!("merged cells of sheet \"{name}\""), e))?;
            grid(&name, &range, &merges)
        }
        Format::Xls => {
            let mut book: Xls<_> = Xls::new(Cursor::new(bytes)).map_err(|e| open(&e))?;
            let name = sheet_name(book.sheet_names(), sheet)?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| sheet_err(&name, &e))?;
            let merges = book
                .merge_cells_by_sheet_name(&name)
                .map_err(|e| Error::codec_at(format!("merged cells of sheet \"{name}\""), e))?;
            grid(&name, &range, &merges)
        }
        Format::Ods => {
            let mut book: Ods<_> = Ods::new(Cursor::new(bytes)).map_err(|e| open(&e))?;
            let name = sheet_name(book.sheet_names(), sheet)?;
            let range = book
                .worksheet_range(&name)
                .map_err(|e| sheet_err(&name, &e))?;
            grid(&name, &range, &[])
        }
    }
}

fn sheet_err(name: &str, e: &dyn std::fmt::Display) -> Error {
    Error::Format(format!("sheet \"{name}\": {e}"))
}

/// The sheet asked for, or the first.
fn sheet_name(names: Vec<String>, sheet: Option<&str>) -> Result<String> {
    match sheet {
        Some(s) if names.iter().any(|n| n == s) => Ok(s.to_string()),
        Some(s) => Err(Error::parameter(
            "sheet",
            format!("\"{s}\" is not a sheet of the workbook; it has {names:?}"),
        )),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| Error::Format("the workbook has no sheet".into())),
    }
}

/// A sheet's cells and merged regions as a grid.
fn grid(name: &str, range: &Range<Data>, merges: &[Dimensions]) -> Result<Grid> {
    let (rows, cols) = range.get_size();
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let (r0, c0) = (r0 as usize, c0 as usize);
    if (r0 + rows).saturating_mul(c0 + cols) > MAX_CELLS {
        return Err(Error::Format(format!(
            "sheet \"{name}\" spans {} rows x {} columns, more than a plan table ({MAX_CELLS} cells)",
            r0 + rows,
            c0 + cols
        )));
    }
    let mut cells = vec![vec![String::new(); c0 + cols]; r0 + rows];
    for (r, c, v) in range.used_cells() {
        cells[r0 + r][c0 + c] = text(v);
    }
    let merges = merges
        .iter()
        .map(|d| Merge {
            first_row: d.start.0 as usize,
            first_col: d.start.1 as usize,
            last_row: d.end.0 as usize,
            last_col: d.end.1 as usize,
        })
        .collect();
    Ok(Grid { cells, merges })
}

/// A cell as the text a CSV of the table would hold: numbers shortest.
fn text(v: &Data) -> String {
    match v {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => i.to_string(),
        other => other.to_string(),
    }
}

/// The grid as an XLSX workbook of one sheet named `sheet`: a cell whose
/// text is a number printed shortest is written as a number, merges as
/// merged ranges.
pub fn to_bytes(grid: &Grid, sheet: &str) -> Result<Vec<u8>> {
    let xl = |e: rust_xlsxwriter::XlsxError| Error::codec_at("writing XLSX", e);
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(xl)?;
    let fit = |r: usize, c: usize| -> Result<(u32, u16)> {
        match (u32::try_from(r), u16::try_from(c)) {
            (Ok(r), Ok(c)) => Ok((r, c)),
            _ => Err(Error::Format(format!(
                "cell ({r}, {c}) is beyond a spreadsheet"
            ))),
        }
    };
    let merged = |r: usize, c: usize| {
        grid.merges.iter().any(|m| {
            (m.first_row..=m.last_row).contains(&r) && (m.first_col..=m.last_col).contains(&c)
        })
    };
    for (r, row) in grid.cells.iter().enumerate() {
        for (c, t) in row.iter().enumerate() {
            if t.is_empty() || merged(r, c) {
                continue;
            }
            let (xr, xc) = fit(r, c)?;
            match t.parse::<f64>() {
                Ok(v) if v.is_finite() && format!("{v}") == *t => {
                    ws.write_number(xr, xc, v).map_err(xl)?;
                }
                _ => {
                    ws.write_string(xr, xc, t).map_err(xl)?;
                }
            }
        }
    }
    let format = rust_xlsxwriter::Format::new();
    for m in &grid.merges {
        let (r0, c0) = fit(m.first_row, m.first_col)?;
        let (r1, c1) = fit(m.last_row, m.last_col)?;
        ws.merge_range(r0, c0, r1, c1, grid.get(m.first_row, m.first_col), &format)
            .map_err(xl)?;
    }
    book.save_to_buffer().map_err(xl)
}
