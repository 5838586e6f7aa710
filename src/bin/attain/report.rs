//! The HTML report: one self-contained file (no network, no external CSS or
//! scripts) with the tables, the charts inline as SVG, and every input with
//! the seed and the program's version, so the result can be reproduced from
//! the report alone.
//!
//! The document is XHTML-compatible (closed tags, escaped text, numeric
//! character references only), so it parses as XML as well as HTML.

use std::fmt::Write as _;

use crate::chart::Chart;
use crate::output::{Table, escape};

/// An input the report embeds verbatim (plan, scenario, actuals).
pub struct Input {
    /// Heading ("Plan file data/plan.toml").
    pub title: String,
    /// The file name to save it as when reproducing.
    pub save_as: String,
    /// Its text.
    pub text: String,
}

/// Everything a report shows.
pub struct Report<'a> {
    /// Title of the page.
    pub title: String,
    /// Key facts: (label, value) — scenario, seed, paths, version.
    pub facts: Vec<(String, String)>,
    /// Tables, in order.
    pub tables: Vec<&'a Table>,
    /// Charts, in order.
    pub charts: &'a [Chart],
    /// The inputs.
    pub inputs: Vec<Input>,
    /// The command that reproduces the result from the saved inputs.
    pub command: String,
}

const STYLE: &str = "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\",\"PingFang SC\",sans-serif;margin:2em;color:#222;max-width:1200px}\
table{border-collapse:collapse;font-size:13px;margin:1em 0}\
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}\
th{background:#f0f0f0}\
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:12px}\
figure{margin:1.5em 0}\
figure svg{max-width:100%;height:auto}\
dl{display:grid;grid-template-columns:max-content auto;gap:2px 16px}\
dt{font-weight:bold}\
p.note{font-size:12px;color:#555;margin:2px 0}\
p.lead{font-size:14px;margin:4px 0}";

/// The report as an HTML document.
pub fn html(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\"/>\n");
    let _ = writeln!(s, "<title>{}</title>", escape(&r.title));
    let _ = writeln!(s, "<style>{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(s, "<h1>{}</h1>", escape(&r.title));
    s.push_str("<dl>\n");
    for (k, v) in &r.facts {
        let _ = writeln!(s, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
    }
    s.push_str("</dl>\n");
    for t in &r.tables {
        let _ = writeln!(s, "<h2>{}</h2>", escape(&t.title));
        s.push_str(&t.to_html());
    }
    if !r.charts.is_empty() {
        s.push_str("<h2>Charts</h2>\n");
    }
    for c in r.charts {
        let _ = writeln!(
            s,
            "<figure id=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>",
            escape(&c.file),
            strip_xml_declaration(&c.svg),
            escape(&c.caption)
        );
    }
    s.push_str("<h2>Reproduce</h2>\n<p>Save the inputs below under the names given and run (same program version):</p>\n");
    let _ = writeln!(s, "<pre>{}</pre>", escape(&r.command));
    for i in &r.inputs {
        let _ = writeln!(
            s,
            "<h3>{} (save as <code>{}</code>)</h3>\n<pre>{}</pre>",
            escape(&i.title),
            escape(&i.save_as),
            escape(&i.text)
        );
    }
    let _ = writeln!(
        s,
        "<p class=\"note\">Written by attain {}.</p>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION")
    );
    s
}

/// An SVG document as an element to inline: without an XML declaration,
/// which may only open a document.
fn strip_xml_declaration(svg: &str) -> &str {
    let t = svg.trim_start();
    if t.starts_with("<?xml") {
        t.find("?>").map_or(t, |k| &t[k + 2..])
    } else {
        t
    }
}
