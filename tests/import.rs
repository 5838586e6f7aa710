//! `attain::import`: the Hunan table as printed imports to the shipped plan;
//! tables with other conventions; every error names its cell; fuzzing.

use attain::import::table::{Grid, Merge};
use attain::import::{ImportOptions, Imported, Overlay, import, import_file};
use attain::plan::consistency::{RowCheck, check_plan};
use attain::{Direction, Error, Plan, Target, WarningCode};
use proptest::prelude::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data");

fn shipped() -> Plan {
    Plan::load(format!("{DATA}/hunan_14th_fyp_commerce.toml")).unwrap()
}

fn overlay() -> Overlay {
    Overlay::load(format!("{DATA}/hunan_14th_fyp_as_printed.overlay.toml")).unwrap()
}

fn with_overlay() -> ImportOptions {
    ImportOptions {
        overlay: Some(overlay()),
        ..ImportOptions::default()
    }
}

fn csv_text() -> String {
    std::fs::read_to_string(format!("{DATA}/hunan_14th_fyp_as_printed.csv")).unwrap()
}

fn grid(text: &str) -> Grid {
    Grid::from_csv_str(text).unwrap()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
        (None, None) => true,
        _ => false,
    }
}

/// What `attain check` prints of a row, the columns the acceptance
/// compares: id, no, kind, base, target, and the check itself.
type CheckRow = (
    String,
    Option<u32>,
    String,
    Option<f64>,
    Option<f64>,
    RowCheck,
);

fn rows(plan: &Plan) -> Vec<CheckRow> {
    let checks = check_plan(plan).unwrap();
    plan.indicators
        .iter()
        .zip(checks)
        .map(|(i, c)| {
            (
                i.id.clone(),
                i.no,
                c.kind.clone(),
                i.base,
                i.target.stated_value(i.base, c.threshold),
                c,
            )
        })
        .collect()
}

fn assert_agrees(imported: &Plan, shipped: &Plan) {
    assert_eq!(
        (imported.base_year, imported.target_year),
        (shipped.base_year, shipped.target_year)
    );
    let (a, b) = (rows(imported), rows(shipped));
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!((&x.0, x.1, &x.2), (&y.0, y.1, &y.2), "id, no, kind");
        assert!(close(x.3, y.3), "{}: base {:?} vs {:?}", x.0, x.3, y.3);
        assert!(close(x.4, y.4), "{}: target {:?} vs {:?}", x.0, x.4, y.4);
        let (c, d) = (&x.5, &y.5);
        assert!(
            close(c.implied_growth_pct, d.implied_growth_pct),
            "{}: implied {:?} vs {:?}",
            x.0,
            c.implied_growth_pct,
            d.implied_growth_pct
        );
        assert!(close(c.threshold, d.threshold), "{}: threshold", x.0);
        assert_eq!(c.consistent, d.consistent, "{}: consistent", x.0);
    }
    for (i, s) in imported.indicators.iter().zip(&shipped.indicators) {
        assert_eq!(i.target, s.target, "{}", i.id);
        assert_eq!(i.attribute, s.attribute, "{}", i.id);
        assert_eq!(
            (&i.name_zh, &i.unit, &i.category),
            (&s.name_zh, &s.unit, &s.category)
        );
        assert_eq!(
            i.stated_growth.as_ref().map(|g| &g.text),
            s.stated_growth.as_ref().map(|g| &g.text),
            "{}",
            i.id
        );
    }
    assert_eq!(imported.series, shipped.series);
}

#[test]
fn the_hunan_table_as_printed_imports_to_the_shipped_plan() {
    let got = import(&grid(&csv_text()), &with_overlay()).unwrap();
    assert_agrees(&got.plan, &shipped());
    assert!(
        got.unread.is_empty() && got.warnings.is_empty(),
        "{:?}",
        got.warnings
    );
    assert_eq!(
        got.plan.name,
        "湖南省“十四五”商务和开放型经济发展规划主要指标"
    );
}

#[test]
fn without_the_overlay_only_what_the_table_cannot_say_differs() {
    let got = import(&grid(&csv_text()), &ImportOptions::default()).unwrap();
    let ship = shipped();
    // 利用外资 prints "—": kept, not simulated, with a warning.
    assert_eq!(got.unread.len(), 1);
    let u = &got.unread[0];
    assert_eq!((u.row, u.no, u.name_zh.as_str()), (7, None, "利用外资"));
    assert_eq!(
        (u.unit.as_str(), u.category.as_str(), u.base),
        ("亿美元", "招商引资", Some(210.0))
    );
    assert_eq!(got.warnings.len(), 1);
    assert_eq!(got.warnings[0].code, WarningCode::NotSimulated);
    assert_eq!(
        got.warnings[0].indicator.as_deref(),
        Some("row_7_unnumbered")
    );
    // Every other row: same kind, base and target as the shipped plan, but
    // row 4 is read as a level (the table does not say trade / GDP).
    let plan = &got.plan;
    let ship_rows: Vec<_> = ship.indicators.iter().filter(|i| i.no.is_some()).collect();
    assert_eq!(plan.indicators.len(), ship_rows.len());
    for (i, s) in plan.indicators.iter().zip(ship_rows) {
        assert_eq!(i.id, format!("row_{}", s.no.unwrap()));
        if s.no == Some(4) {
            assert_eq!(
                i.target,
                Target::Level {
                    value: 15.0,
                    direction: Direction::AtLeast
                }
            );
            continue;
        }
        assert_eq!(i.target, s.target, "row {:?}", s.no);
        assert_eq!(i.base, s.base);
    }
    // The raw text is kept in the note.
    assert_eq!(
        plan.indicator("row_9").unwrap().note.as_deref(),
        Some("累计完成100亿美元")
    );
    // The commented TOML reads back as the same plan.
    let text = got.to_toml().unwrap();
    assert!(
        text.contains("# row 7 (利用外资（亿美元）): no target value"),
        "{text}"
    );
    assert_eq!(&Plan::from_toml_str(&text).unwrap(), plan);
}

/// The Hunan table as a spreadsheet prints it: categories merged down their
/// block, the phrases of rows 8, 9, 10 and 17 merged across the year and
/// growth columns (their text in the merge's first cell).
fn hunan_as_spreadsheet() -> Grid {
    let mut g = grid(&csv_text());
    let (c2020, c2025, cgrowth) = (3, 4, 5);
    let mut merges = Vec::new();
    // Category blocks: rows (0-based) of each category's first and last line.
    let mut start = 2;
    for r in 3..=g.cells.len() {
        let next = g.cells.get(r).map_or("x", |row| row[0].as_str());
        if !next.is_empty() {
            if r - 1 > start {
                merges.push(Merge {
                    first_row: start,
                    first_col: 0,
                    last_row: r - 1,
                    last_col: 0,
                });
            }
            start = r;
        }
    }
    for r in 2..g.cells.len() {
        let no = g.cells[r][1].clone();
        let (first, last) = match no.as_str() {
            "8" | "17" => (c2020, cgrowth),
            "9" | "10" => (c2025, cgrowth),
            _ => continue,
        };
        let text = std::mem::take(&mut g.cells[r][c2025]);
        g.cells[r][first] = text;
        merges.push(Merge {
            first_row: r,
            first_col: first,
            last_row: r,
            last_col: last,
        });
    }
    g.merges = merges;
    g
}

#[test]
fn the_same_table_as_xlsx_with_merged_cells_imports_identically() {
    let sheet = hunan_as_spreadsheet();
    let bytes = attain::import::xlsx::to_bytes(&sheet, "主要指标").unwrap();
    let read = attain::import::xlsx::read_bytes(&bytes, Some("主要指标")).unwrap();
    assert!(read.merges.len() >= 8, "{:?}", read.merges);
    let from_xlsx = import(&read, &with_overlay()).unwrap();
    let from_csv = import(&grid(&csv_text()), &with_overlay()).unwrap();
    assert_eq!(from_xlsx.plan, from_csv.plan);
    // And through a file.
    let dir = std::env::temp_dir().join(format!("attain-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hunan.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    let from_file = import_file(&path, None, &with_overlay()).unwrap();
    assert_eq!(from_file.plan.indicators, from_csv.plan.indicators);
    assert_eq!(from_file.plan.source.as_deref(), Some("hunan.xlsx"));
    let e = import_file(&path, Some("nope"), &with_overlay()).unwrap_err();
    assert!(e.to_string().contains("\"nope\" is not a sheet"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A national-plan style table: brackets for five-year totals, bounds,
/// relative growth and a row with no number.
const NATIONAL: &str = "\
类别,指标,2020年,2025年,年均/累计,属性
经济发展,国内生产总值（万亿元）,101.6,,>6.5,预期性
,城镇调查失业率（%）,5.2,<5.5,,预期性
,全员劳动生产率增长（%）,2.5,,高于GDP增长,预期性
民生福祉,居民人均可支配收入增长（%）,2.1,,与GDP增长基本同步,预期性
,劳动年龄人口平均受教育年限（年）,10.8,11.3,,约束性
绿色生态,单位GDP二氧化碳排放降低（%）,100,,[18],约束性
,森林覆盖率（%）,23.2,24.1,,约束性
注：[ ]内为5年累计数。
";

#[test]
fn a_national_table_with_brackets_bounds_and_relative_growth() {
    let got = import(&grid(NATIONAL), &ImportOptions::default()).unwrap();
    let p = &got.plan;
    let t = |id: &str| p.indicator(id).unwrap().target.clone();
    assert_eq!(p.indicators.len(), 7);
    assert_eq!(t("row_2"), Target::growth(6.5));
    assert_eq!(
        t("row_3"),
        Target::Level {
            value: 5.5,
            direction: Direction::AtMost
        }
    );
    assert_eq!(
        t("row_4"),
        Target::RelativeGrowth {
            series: "row_2".into(),
            about: false,
            tolerance_pp: 1.0
        }
    );
    assert_eq!(
        t("row_5"),
        Target::RelativeGrowth {
            series: "row_2".into(),
            about: true,
            tolerance_pp: 1.0
        }
    );
    // [18] on a reduction in percent: the level at most 82% of the base.
    assert_eq!(
        t("row_7"),
        Target::Multiple {
            factor: 0.82,
            direction: Direction::AtMost,
            of_year: None,
            of_value: None,
        }
    );
    assert_eq!(p.indicator("row_2").unwrap().category, "经济发展");
    assert_eq!(p.indicator("row_3").unwrap().category, "经济发展");
    assert_eq!(p.indicator("row_8").unwrap().category, "绿色生态");
}

#[test]
fn relative_growth_simulates_against_the_series_it_names() {
    // Two series alike in base, growth and model: by symmetry one grows
    // faster than the other half the time.
    let text = "\
指标,2020年,2025年,年均增长%,属性
GDP（亿元）,100,,6,预期性
收入（亿元）,100,,高于GDP增长,预期性
";
    let got = import(&grid(text), &ImportOptions::default()).unwrap();
    let plan = got.plan;
    assert_eq!(
        plan.indicators[1].target,
        Target::RelativeGrowth {
            series: "row_2".into(),
            about: false,
            tolerance_pp: 1.0
        }
    );
    // Its plan-consistent growth is the series' it names.
    assert_eq!(plan.growth_pct("row_3"), Some(6.0));
    let mut sc = attain::Scenario::named("t");
    sc.paths = 20_000;
    sc.seed = 7;
    let r = attain::simulate::engine::simulate(&plan, &sc).unwrap();
    let p = r.target("row_3", 0).unwrap().attain.unwrap().p;
    let se = (0.25f64 / 20_000.0).sqrt();
    assert!((p - 0.5).abs() < 4.5 * se, "{p}");
}

#[test]
fn an_unreadable_phrase_is_an_error_naming_row_column_and_text() {
    let text = "\
指标,2020年,2025年,属性
GDP增长（%）,2.3,保持在合理区间,预期性
";
    let e = import(&grid(text), &ImportOptions::default()).unwrap_err();
    match &e {
        Error::Cell {
            row, column, text, ..
        } => {
            assert_eq!(
                (*row, column.as_str(), text.as_str()),
                (2, "2025年", "保持在合理区间")
            );
        }
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("has no number"), "{e}");
    // Lenient: kept as text, not simulated, with a warning.
    let o = ImportOptions {
        lenient: true,
        ..ImportOptions::default()
    };
    let got = import(&grid(&format!("{text}森林（%）,23,24,约束性\n")), &o).unwrap();
    assert_eq!(got.plan.indicators.len(), 1);
    assert_eq!(got.unread.len(), 1);
    assert_eq!(
        got.unread[0].cells[2],
        ("2025年".into(), "保持在合理区间".into())
    );
    assert_eq!(got.warnings[0].code, WarningCode::UnreadPhrase);
    assert!(got.warnings[0].message.contains("保持在合理区间"));
}

#[test]
fn every_error_names_its_cell() {
    let head = "序号,指标,2020年,2025年,年均增长%,属性\n";
    for (row, column, why) in [
        ("x,a（亿元）,1,2,,预期性", "序号", "row number"),
        ("1,a（亿元）,-1,2,,预期性", "2020年", "positive"),
        ("1,a（亿元）,1,2,,可能", "属性", "预期性"),
        ("1,a（亿元）,1,2,,", "属性", "blank"),
        ("1,a（亿元）,1,2亿美元,,预期性", "2025年", "unit"),
        ("1,a（亿元）,,倍增,,预期性", "2025年", "needs the base"),
        (
            "1,a（%）,1,2030年90%,,预期性",
            "2025年",
            "beyond the target year",
        ),
        ("1,a（%）,1,[5],,预期性", "2025年", "no note"),
        ("1,a（人）,,,累计5,预期性", "年均增长%", "needs the level"),
        (
            "1,a（亿元）,1,年均增长>7以内,,预期性",
            "2025年",
            "two bounds",
        ),
        ("1,a（%）,1,,高于GDP增长,预期性", "年均增长%", "GDP"),
        ("1,a（%）,1,10-5,,预期性", "2025年", "must rise"),
    ] {
        let e = import(&grid(&format!("{head}{row}\n")), &ImportOptions::default()).unwrap_err();
        match &e {
            Error::Cell {
                row: 2, column: c, ..
            } if c == column => {}
            other => panic!("{row}: {other}"),
        }
        assert!(e.to_string().contains(why), "{row}: {e}");
    }
}

#[test]
fn years_come_from_the_headers_unless_given() {
    let text = "指标,基期,目标,属性\n森林（%）,23,24,约束性\n";
    let e = import(&grid(text), &ImportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("--base-year"), "{e}");
    let o = ImportOptions {
        base_year: Some(2020),
        target_year: Some(2025),
        ..ImportOptions::default()
    };
    let got = import(&grid(text), &o).unwrap();
    assert_eq!((got.plan.base_year, got.plan.target_year), (2020, 2025));
    // A year the header does not have is refused.
    let o = ImportOptions {
        target_year: Some(2030),
        ..ImportOptions::default()
    };
    let e = import(&grid(&csv_text()), &o).unwrap_err();
    assert!(e.to_string().contains("2030 has no column"), "{e}");
}

#[test]
fn ranges_report_met_and_stretch() {
    let text = "指标,2020年,2025年,属性\n引进企业（家）,3,5-10,预期性\n";
    let got = import(&grid(text), &ImportOptions::default()).unwrap();
    let i = &got.plan.indicators[0];
    assert_eq!(
        i.target,
        Target::Range {
            low: 5.0,
            high: 10.0
        }
    );
    assert_eq!(
        i.extra_targets,
        [Target::Level {
            value: 10.0,
            direction: Direction::AtLeast
        }]
    );
    let checks = check_plan(&got.plan).unwrap();
    // 3 -> 5 over five years.
    let g = 100.0 * ((5.0f64 / 3.0).powf(0.2) - 1.0);
    assert!((checks[0].implied_growth_pct.unwrap() - g).abs() < 1e-9);
}

fn try_import(g: &Grid) -> Result<Imported, Error> {
    import(g, &ImportOptions::default())
}

/// A plan, or an error that says where: a cell, a missing header or
/// column, a row's field.
fn judged(r: Result<Imported, Error>) {
    match r {
        Ok(i) => i.plan.validate().unwrap(),
        Err(Error::Cell { .. } | Error::Format(_) | Error::Parameter { .. }) => {}
        Err(Error::Indicator { id, .. }) => assert!(!id.is_empty()),
        Err(Error::Plan { field, .. }) => assert!(!field.is_empty()),
        Err(other) => panic!("untyped: {other}"),
    }
}

const WORDS: [&str; 33] = [
    "",
    "〔13.5〕",
    "6.5左右",
    "年均增长5%以内",
    "指标值",
    "单位",
    "注：〔 〕内为5年累计数。",
    "1.国内生产总值（%）",
    ">GDP增长",
    "序号",
    "—",
    "12",
    "7左右",
    "累计完成100亿美元",
    "每年新增100个",
    "倍增",
    "[5]",
    "<5.5",
    ">6.5",
    "5-10",
    "提高2个百分点",
    "下降3%",
    "2021年底70%，2023年100%",
    "高于GDP增长",
    "保持在合理区间",
    "预期性",
    "约束性",
    "2020年",
    "2025年",
    "指标",
    "-1",
    "1e400",
    "（",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_tables_never_panic(cells in prop::collection::vec(prop::collection::vec(prop::sample::select(WORDS.to_vec()), 0..7), 0..8)) {
        let g = Grid { cells: cells.into_iter().map(|r| r.into_iter().map(String::from).collect()).collect(), merges: vec![] };
        judged(try_import(&g));
    }

    #[test]
    fn mutated_hunan_tables_never_panic(
        edits in prop::collection::vec((0usize..30, 0usize..8, prop::sample::select(WORDS.to_vec())), 1..4),
        merge in prop::option::of((0usize..30, 0usize..8, 0usize..3, 0usize..3)),
        text in "\\PC{0,6}",
    ) {
        let mut g = grid(&csv_text());
        for (k, (r, c, w)) in edits.iter().enumerate() {
            if let Some(row) = g.cells.get_mut(*r) {
                if row.len() <= *c { row.resize(c + 1, String::new()); }
                row[*c] = if k == 0 { format!("{w}{text}") } else { (*w).to_string() };
            }
        }
        if let Some((r, c, h, w)) = merge {
            g.merges.push(Merge { first_row: r, first_col: c, last_row: r + h, last_col: c + w });
        }
        judged(try_import(&g));
        judged(import(&g, &ImportOptions { lenient: true, ..ImportOptions::default() }));
    }

    #[test]
    fn random_spreadsheets_with_merges_never_panic(
        cells in prop::collection::vec(prop::collection::vec(prop::sample::select(WORDS.to_vec()), 0..7), 0..8),
        merges in prop::collection::vec((0usize..9, 0usize..8, 0usize..3, 0usize..3), 0..4),
    ) {
        let mut g = Grid { cells: cells.into_iter().map(|r| r.into_iter().map(String::from).collect()).collect(), merges: vec![] };
        // Spreadsheets refuse overlapping merges: keep the disjoint ones.
        for (r, c, h, w) in merges {
            let m = Merge { first_row: r, first_col: c, last_row: r + h, last_col: c + w };
            let overlaps = g.merges.iter().any(|o| {
                m.first_row <= o.last_row && o.first_row <= m.last_row
                    && m.first_col <= o.last_col && o.first_col <= m.last_col
            });
            if !overlaps && (h > 0 || w > 0) {
                g.merges.push(m);
            }
        }
        judged(try_import(&g));
        if let Ok(bytes) = attain::import::xlsx::to_bytes(&g, "s") {
            let read = attain::import::xlsx::read_bytes(&bytes, None).unwrap();
            judged(try_import(&read));
        }
    }

    #[test]
    fn random_bytes_as_xlsx_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = attain::import::xlsx::read_bytes(&bytes, None);
    }

    #[test]
    fn random_bytes_as_xls_and_ods_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        use attain::import::xlsx::{Format, read_bytes_as};
        for f in [Format::Xls, Format::Ods] {
            if let Ok(g) = read_bytes_as(&bytes, f, None) {
                judged(try_import(&g));
            }
        }
    }

    /// Any text as CSV: a grid or a typed error, and any grid a plan or a
    /// typed error naming the cell.
    #[test]
    fn random_text_as_csv_never_panics(text in "(\\PC|[,\n\"])*") {
        if let Ok(g) = Grid::from_csv_str(&text) {
            judged(try_import(&g));
            judged(import(&g, &ImportOptions { lenient: true, ..ImportOptions::default() }));
        }
    }

    /// The national table with cells replaced by phrases and noise: strict
    /// and lenient, a plan or a typed error naming the cell.
    #[test]
    fn mutated_national_tables_never_panic(
        edits in prop::collection::vec((0usize..15, 0usize..7, prop::sample::select(WORDS.to_vec())), 1..4),
        text in "\\PC{0,6}",
    ) {
        let mut g = grid(CHINA_14TH);
        for (k, (r, c, w)) in edits.iter().enumerate() {
            if let Some(row) = g.cells.get_mut(*r) {
                if row.len() <= *c { row.resize(c + 1, String::new()); }
                row[*c] = if k == 0 { format!("{w}{text}") } else { (*w).to_string() };
            }
        }
        judged(try_import(&g));
        judged(import(&g, &ImportOptions { lenient: true, ..ImportOptions::default() }));
    }
}

#[test]
fn export_then_import_gives_every_shipped_plan_back() {
    for file in [
        format!("{DATA}/hunan_14th_fyp_commerce.toml"),
        format!("{DATA}/example_plan.toml"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/every_kind.toml").to_string(),
    ] {
        let plan = Plan::load(&file).unwrap();
        let out = attain::import::export::export(&plan).unwrap();
        let options = ImportOptions {
            overlay: Some(out.overlay.clone()),
            ..ImportOptions::default()
        };
        // Through CSV text and through XLSX bytes.
        let csv = attain::import::export::to_csv(&out.grid).unwrap();
        let from_csv = import(&grid(&csv), &options).unwrap();
        assert_eq!(from_csv.plan, plan, "{file}");
        let bytes = attain::import::xlsx::to_bytes(&out.grid, "plan").unwrap();
        let read = attain::import::xlsx::read_bytes(&bytes, None).unwrap();
        assert_eq!(import(&read, &options).unwrap().plan, plan, "{file}");
        // The overlay goes through its TOML too.
        let text = out.overlay.to_toml().unwrap();
        assert_eq!(Overlay::from_toml_str(&text).unwrap(), out.overlay);
    }
    // The Hunan table needs the overlay only where the printed table does:
    // the series, row 4's ratio and the aggregate (and the plan's source).
    let out = attain::import::export::export(&shipped()).unwrap();
    let ids: Vec<&str> = out
        .overlay
        .rows
        .iter()
        .filter_map(|r| r.get("id").and_then(|v| v.as_str()))
        .collect();
    assert_eq!(ids, ["trade_dependency", "foreign_capital"]);
}

#[test]
fn names_and_units_are_optional_in_plans() {
    let p = Plan::from_toml_str(
        "name = \"t\"\nbase_year = 2020\ntarget_year = 2025\n\
         [[indicator]]\nid = \"a\"\nattribute = \"expected\"\nbase = 10\n\
         target = { kind = \"level\", value = 12 }\n",
    )
    .unwrap();
    let i = &p.indicators[0];
    assert_eq!(
        (i.name.as_str(), i.name_zh.as_str(), i.unit.as_str()),
        ("", "", "")
    );
    // And they stay out of the written file.
    assert!(!p.to_toml_string().unwrap().contains("name_zh"));
}

#[test]
fn range_and_relative_growth_are_checked() {
    let plan = |target: &str| {
        Plan::from_toml_str(&format!(
            "name = \"t\"\nbase_year = 2020\ntarget_year = 2025\n\
             [[indicator]]\nid = \"a\"\nattribute = \"expected\"\nbase = 10\n\
             target = {target}\n\
             [[series]]\nid = \"gdp\"\nunit = \"x\"\nbase = 5\nassumed_growth_pct = 5\n"
        ))
    };
    let e = plan("{ kind = \"range\", low = 10, high = 5 }").unwrap_err();
    assert!(e.to_string().contains("target.high"), "{e}");
    let e = plan("{ kind = \"relative_growth\", series = \"nope\" }").unwrap_err();
    assert!(e.to_string().contains("unknown series \"nope\""), "{e}");
    let e = plan("{ kind = \"relative_growth\", series = \"a\" }").unwrap_err();
    assert!(e.to_string().contains("another series"), "{e}");
    let e =
        plan("{ kind = \"relative_growth\", series = \"gdp\", about = true, tolerance_pp = -1 }")
            .unwrap_err();
    assert!(e.to_string().contains("tolerance_pp"), "{e}");
    let p = plan("{ kind = \"relative_growth\", series = \"gdp\", about = true }").unwrap();
    assert_eq!(
        p.indicators[0].target,
        Target::RelativeGrowth {
            series: "gdp".into(),
            about: true,
            tolerance_pp: 1.0
        }
    );
    let p = plan("{ kind = \"range\", low = 12, high = 15 }").unwrap();
    let t = &p.indicators[0].target;
    assert_eq!(t.direction(), Direction::AtLeast);
    assert_eq!(t.target_level(), Some(12.0));
    // 10 -> 12 over five years.
    let g = 100.0 * (1.2f64.powf(0.2) - 1.0);
    assert!((t.implied_growth_pct(Some(10.0), 5).unwrap() - g).abs() < 1e-12);
}

#[test]
fn a_range_is_met_at_its_low_end_and_its_stretch_is_reported() {
    let text = "指标,2020年,2025年,年均增长%,属性\n引进企业（家）,40,55-65,8,预期性\n";
    let got = import(&grid(text), &ImportOptions::default()).unwrap();
    let mut plan = got.plan;
    // The same series with a plain level of 55 as a third target.
    plan.indicators[0].extra_targets.push(Target::Level {
        value: 55.0,
        direction: Direction::AtLeast,
    });
    let mut sc = attain::Scenario::named("t");
    sc.paths = 10_000;
    sc.seed = 3;
    let r = attain::simulate::engine::simulate(&plan, &sc).unwrap();
    let p = |k| r.target("row_2", k).unwrap().attain.unwrap().p;
    assert_eq!(p(0), p(2), "met at the low end: the level rule at 55");
    assert!(
        p(1) < p(0),
        "the stretch, 65, is harder: {} vs {}",
        p(1),
        p(0)
    );
    // 40 at 8% a year reaches 58.8: the median path meets 55, not 65.
    assert!(p(0) > 0.5 && p(1) < 0.5, "{} {}", p(0), p(1));
}

#[test]
fn a_loop_of_relative_growths_implies_no_growth() {
    let p = Plan::from_toml_str(
        "name = \"t\"\nbase_year = 2020\ntarget_year = 2025\n\
         [[indicator]]\nid = \"a\"\nattribute = \"expected\"\n\
         target = { kind = \"relative_growth\", series = \"b\" }\n\
         [[indicator]]\nid = \"b\"\nattribute = \"expected\"\n\
         target = { kind = \"relative_growth\", series = \"a\" }\n",
    )
    .unwrap();
    assert_eq!(p.growth_pct("a"), None);
}

/// China's 14th Five-Year Plan main-indicator table (国民经济和社会发展第十四个
/// 五年规划纲要, 专栏1), its structure transcribed: rows numbered in the name,
/// 〔〕 for five-year totals with the note under the table, "<5.5" and ">6.5",
/// growth relative to GDP, and rows with no number.
const CHINA_14TH: &str = "“十四五”时期经济社会发展主要指标\n\
类别,指标,2020年,2025年,年均/累计,属性\n\
经济发展,1.国内生产总值（GDP）增长（%）,2.3,—,保持在合理区间、各年度视情提出,预期性\n\
,2.全员劳动生产率增长（%）,2.5,—,>GDP增长,预期性\n\
,3.常住人口城镇化率（%）,60.6,65,—,预期性\n\
创新驱动,4.研发经费投入增长（%）,—,—,\">7、力争投入强度高于“十三五”时期实际\",预期性\n\
民生福祉,5.居民人均可支配收入增长（%）,2.1,—,与GDP增长基本同步,预期性\n\
,6.城镇调查失业率（%）,5.2,<5.5,—,预期性\n\
,7.每千人口拥有执业（助理）医师数（人）,2.9,3.2,—,预期性\n\
,8.人均预期寿命（岁）,77.3,—,〔1〕,预期性\n\
绿色生态,9.单位GDP能源消耗降低（%）,—,—,〔13.5〕,约束性\n\
,10.单位GDP二氧化碳排放降低（%）,—,—,〔18〕,约束性\n\
安全保障,11.粮食综合生产能力（亿吨）,—,>6.5,—,约束性\n\
注：〔 〕内为5年累计数。\n";

#[test]
fn a_national_style_table_reads_or_keeps_each_row() {
    let g = grid(CHINA_14TH);
    // Strict: the first phrase without a number is an error naming its cell.
    let e = import(&g, &ImportOptions::default()).unwrap_err();
    match &e {
        Error::Cell { row, column, .. } => assert_eq!((*row, column.as_str()), (3, "年均/累计")),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("保持在合理区间"), "{e}");
    // Lenient: every row is read, or kept as text with a warning.
    let got = import(
        &g,
        &ImportOptions {
            lenient: true,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    let p = &got.plan;
    let t = |id: &str| {
        p.indicator(id)
            .unwrap_or_else(|| panic!("{id}"))
            .target
            .clone()
    };
    let lvl = |value, direction| Target::Level { value, direction };
    // The number the name starts with is the row's: its id and `no`, and
    // not part of `name_zh`.
    let r3 = p.indicator("row_3").unwrap();
    assert_eq!(
        (r3.no, r3.name_zh.as_str(), r3.unit.as_str()),
        (Some(3), "常住人口城镇化率", "%")
    );
    assert_eq!(r3.base, Some(60.6));
    assert_eq!(t("row_3"), lvl(65.0, Direction::AtLeast));
    assert_eq!(t("row_6"), lvl(5.5, Direction::AtMost));
    assert_eq!(t("row_7"), lvl(3.2, Direction::AtLeast));
    assert_eq!(
        p.indicator("row_7").unwrap().name_zh,
        "每千人口拥有执业（助理）医师数"
    );
    // 〔1〕 years of life over the plan: the level at least 77.3 + 1.
    assert_eq!(t("row_8"), lvl(77.3 + 1.0, Direction::AtLeast));
    // 〔13.5〕 and 〔18〕 with no base: the intensity's change over the plan.
    let change = |pct| Target::Growth {
        pct,
        direction: Direction::AtMost,
        about: false,
        tolerance_pp: None,
        over_plan: true,
    };
    assert_eq!(t("row_9"), change(-13.5));
    assert_eq!(t("row_10"), change(-18.0));
    assert_eq!(t("row_11"), lvl(6.5, Direction::AtLeast));
    assert_eq!(p.indicator("row_11").unwrap().unit, "亿吨");
    assert_eq!(p.indicator("row_11").unwrap().category, "安全保障");
    // Kept as text: no number (1), a growth compared with the GDP row that
    // has none (2, 5), a phrase with a clause it cannot read (4).
    let unread: Vec<(&str, Option<u32>)> =
        got.unread.iter().map(|u| (u.id.as_str(), u.no)).collect();
    assert_eq!(
        unread,
        [
            ("row_1", Some(1)),
            ("row_2", Some(2)),
            ("row_4", Some(4)),
            ("row_5", Some(5))
        ],
        "{:?}",
        got.unread
    );
    assert_eq!(got.warnings.len(), 4, "{:?}", got.warnings);
    for u in &got.unread {
        assert!(
            got.warnings
                .iter()
                .any(|w| w.indicator.as_deref() == Some(u.id.as_str())),
            "{} has no warning",
            u.id
        );
    }
    assert_eq!(p.indicators.len() + got.unread.len(), 11);
    // The plan checks, simulates and its growth over the plan is judged on
    // the series as an index, with no base.
    check_plan(p).unwrap();
    let r = attain::simulate::engine::simulate(p, &attain::Scenario::named("t")).unwrap();
    assert!(r.target("row_9", 0).unwrap().attain.is_some());
}

/// A national-style growth column: a ceiling, an "about" rate and a floor
/// where no level is printed; the same phrases in the target column.
#[test]
fn growth_phrases_read_as_growth_with_a_direction_or_a_band() {
    let text = "\
指标,2020年,2025年,年均增长%,属性
国内生产总值增长（%）,2.3,—,5.5左右,预期性
居民消费价格涨幅（%）,—,—,<3,预期性
粮食产量增长（%）,—,—,>2,预期性
研发经费投入增长（%）,—,—,7,预期性
进出口总额（亿元）,100,年均增长6.5%左右,,预期性
服务贸易（亿元）,100,年均增长5%以内,,预期性
研发强度提高（%）,—,—,〔1.5〕,预期性
注：〔〕内为累计数
";
    let got = import(&grid(text), &ImportOptions::default()).unwrap();
    let t = |id: &str| got.plan.indicator(id).unwrap().target.clone();
    let g = |pct, direction, about: bool, over_plan| Target::Growth {
        pct,
        direction,
        about,
        tolerance_pp: about.then_some(1.0),
        over_plan,
    };
    assert_eq!(t("row_2"), g(5.5, Direction::AtLeast, true, false));
    assert_eq!(
        got.plan
            .indicator("row_2")
            .unwrap()
            .stated_growth
            .as_ref()
            .unwrap()
            .text,
        "5.5左右"
    );
    assert_eq!(t("row_3"), g(3.0, Direction::AtMost, false, false));
    assert_eq!(t("row_4"), g(2.0, Direction::AtLeast, false, false));
    assert_eq!(t("row_5"), Target::growth(7.0));
    assert_eq!(t("row_6"), g(6.5, Direction::AtLeast, true, false));
    assert_eq!(t("row_7"), g(5.0, Direction::AtMost, false, false));
    // A rise printed in brackets: the change over the plan, at least.
    assert_eq!(t("row_8"), g(1.5, Direction::AtLeast, false, true));
    // The written plan states the band and reads back as the same plan.
    let toml = got.to_toml().unwrap();
    assert!(toml.contains("tolerance_pp = 1.0"), "{toml}");
    assert_eq!(Plan::from_toml_str(&toml).unwrap(), got.plan);
    // An approximate change over the plan has no kind: an error naming it.
    let e = import(
        &grid("指标,2020年,2025年,年均/累计,属性\n能耗降低（%）,—,—,〔约13.5〕,约束性\n注：〔〕内为累计数\n"),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Cell { row: 2, column, .. } if column == "年均/累计"),
        "{e}"
    );
    assert!(e.to_string().contains("approximate"), "{e}");
}

#[test]
fn growth_targets_export_and_import_back_without_an_overlay() {
    let text = "\
指标,2020年,2025年,年均增长%,属性
国内生产总值增长（%）,—,—,5.5左右,预期性
居民消费价格涨幅（%）,—,—,<3,预期性
单位GDP能源消耗降低（%）,—,—,〔13.5〕,约束性
注：〔〕内为5年累计数
";
    let got = import(&grid(text), &ImportOptions::default()).unwrap();
    let out = attain::import::export::export(&got.plan).unwrap();
    assert!(out.overlay.rows.is_empty(), "{:?}", out.overlay.rows);
    let csv = attain::import::export::to_csv(&out.grid).unwrap();
    assert!(
        csv.contains("〔13.5〕") && csv.contains("<3") && csv.contains("5.5左右"),
        "{csv}"
    );
    let back = import(&out.grid, &ImportOptions::default()).unwrap();
    assert_eq!(back.plan.indicators, got.plan.indicators);
}

/// Headers on two rows (a group header over the years, the others merged
/// down), header cells broken over lines, a unit in a column of its own.
#[test]
fn two_row_headers_broken_headers_and_a_unit_column() {
    let text = "\
\"类\n别\",指标,单位,指标值,,\"年均\n增长%\",属性
,,,\"2020\n年\",2025年,,
经济,城镇化率,%,60.6,65,—,预期性
,粮食产量,亿吨,6.7,>6.5,—,约束性
";
    let g = grid(text);
    let got = import(&g, &ImportOptions::default()).unwrap();
    let p = &got.plan;
    assert_eq!((p.base_year, p.target_year), (2020, 2025));
    assert_eq!(
        p.name, "imported plan",
        "the upper header row is not a title"
    );
    let r = p.indicator("row_3").unwrap();
    assert_eq!(
        (r.unit.as_str(), r.base, r.category.as_str()),
        ("%", Some(60.6), "经济")
    );
    assert_eq!(
        r.target,
        Target::Level {
            value: 65.0,
            direction: Direction::AtLeast
        }
    );
    assert_eq!(p.indicator("row_4").unwrap().unit, "亿吨");
    // The same as a spreadsheet with the header merged as printed.
    let mut sheet = g.clone();
    sheet.cells[1] = vec![String::new(); 7];
    sheet.cells[1][3] = "2020年".into();
    sheet.cells[1][4] = "2025年".into();
    sheet.merges = [(0, 0), (0, 1), (0, 2), (0, 5), (0, 6)]
        .iter()
        .map(|&(r, c)| Merge {
            first_row: r,
            first_col: c,
            last_row: r + 1,
            last_col: c,
        })
        .chain([Merge {
            first_row: 0,
            first_col: 3,
            last_row: 0,
            last_col: 4,
        }])
        .collect();
    let bytes = attain::import::xlsx::to_bytes(&sheet, "s").unwrap();
    let read = attain::import::xlsx::read_bytes(&bytes, None).unwrap();
    let from_xlsx = import(&read, &ImportOptions::default()).unwrap();
    assert_eq!(from_xlsx.plan.indicators, got.plan.indicators);
    // A unit in both places must agree.
    let e = import(
        &grid("指标,单位,2020年,2025年,属性\n城镇化率（%）,亿吨,60.6,65,预期性\n"),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(&e, Error::Cell { column, .. } if column == "单位"),
        "{e}"
    );
}

#[test]
fn ids_are_row_n_from_the_printed_number_else_the_table_row() {
    use attain::import::leading_no;
    assert_eq!(leading_no("1.国内生产总值"), Some((1, "国内生产总值")));
    assert_eq!(leading_no("12、森林覆盖率"), Some((12, "森林覆盖率")));
    assert_eq!(leading_no("3．城镇化率"), Some((3, "城镇化率")));
    assert_eq!(leading_no("5G基站数"), None);
    assert_eq!(leading_no("2.5"), None);
    assert_eq!(leading_no("国内生产总值"), None);
    // No numbers: the table row. A 序号 column: the number; an unnumbered
    // row whose table row is a printed number keeps apart from it.
    let got = import(
        &grid("指标,2020年,2025年,属性\n甲（个）,1,2,预期性\n乙（个）,1,3,预期性\n"),
        &ImportOptions::default(),
    )
    .unwrap();
    let ids: Vec<&str> = got.plan.indicators.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["row_2", "row_3"]);
    let got = import(
        &grid("序号,指标,2020年,2025年,属性\n,甲（个）,1,2,预期性\n2,乙（个）,1,3,预期性\n1,丙（个）,1,3,预期性\n"),
        &ImportOptions::default(),
    )
    .unwrap();
    let ids: Vec<&str> = got.plan.indicators.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["row_2_unnumbered", "row_2", "row_1"]);
}

#[test]
fn a_multiple_of_a_reference_year_comes_back_through_its_overlay() {
    // "是挂牌前的6.52倍": the table prints the factor and the year, not the
    // reference year's value, which the overlay carries.
    let plan = Plan::from_toml_str(
        r#"
name = "free trade zone"
base_year = 2020
target_year = 2025
[[indicator]]
id = "ftz_trade"
name_zh = "自贸区进出口"
unit = "亿元"
attribute = "expected"
base = 100.0
target = { kind = "multiple", factor = 6.52, of_year = 2019, of_value = 50.0 }
"#,
    )
    .unwrap();
    let out = attain::import::export::export(&plan).unwrap();
    let csv = attain::import::export::to_csv(&out.grid).unwrap();
    assert!(csv.contains("是2019年的6.52倍"), "{csv}");
    let back = import(
        &grid(&csv),
        &ImportOptions {
            overlay: Some(out.overlay.clone()),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(back.plan, plan);
    // Without it, the row is refused, naming what is missing.
    match import(&grid(&csv), &ImportOptions::default()) {
        Err(e @ Error::Cell { row: 3, .. }) => {
            assert!(e.to_string().contains("of_value"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}
