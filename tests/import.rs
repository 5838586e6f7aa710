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
    assert_eq!(got.warnings[0].indicator.as_deref(), Some("line_7"));
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
    assert_eq!(t("line_2"), Target::Growth { pct: 6.5 });
    assert_eq!(
        t("line_3"),
        Target::Level {
            value: 5.5,
            direction: Direction::AtMost
        }
    );
    assert_eq!(
        t("line_4"),
        Target::RelativeGrowth {
            series: "line_2".into(),
            about: false,
            tolerance_pp: 1.0
        }
    );
    assert_eq!(
        t("line_5"),
        Target::RelativeGrowth {
            series: "line_2".into(),
            about: true,
            tolerance_pp: 1.0
        }
    );
    // [18] on a reduction in percent: the level at most 82% of the base.
    assert_eq!(
        t("line_7"),
        Target::Multiple {
            factor: 0.82,
            direction: Direction::AtMost,
            of_year: None,
            of_value: None,
        }
    );
    assert_eq!(p.indicator("line_2").unwrap().category, "经济发展");
    assert_eq!(p.indicator("line_3").unwrap().category, "经济发展");
    assert_eq!(p.indicator("line_8").unwrap().category, "绿色生态");
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
            series: "line_2".into(),
            about: false,
            tolerance_pp: 1.0
        }
    );
    // Its plan-consistent growth is the series' it names.
    assert_eq!(plan.growth_pct("line_3"), Some(6.0));
    let mut sc = attain::Scenario::named("t");
    sc.paths = 20_000;
    sc.seed = 7;
    let r = attain::simulate::engine::simulate(&plan, &sc).unwrap();
    let p = r.target("line_3", 0).unwrap().attain.unwrap().p;
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
        ("1,a（%）,1,,<3,预期性", "年均增长%", "ceiling"),
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

const WORDS: [&str; 24] = [
    "",
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
    let p = |k| r.target("line_2", k).unwrap().attain.unwrap().p;
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

/// The national plans' conventions: 〔〕 for five-year totals (with the
/// table's note), "<5.5" and ">6.5" in the target column, "高于GDP增长"
/// and rows that have no number.
#[test]
fn a_national_style_table_reads_or_keeps_each_row() {
    let text = "类别,指标,2020年,2025年,年均/累计,属性\n\
        经济发展,1.国内生产总值（GDP）增长（%）,2.3,—,保持在合理区间、各年度视情提出,预期性\n\
        ,2.全员劳动生产率增长（%）,2.5,—,高于GDP增长,预期性\n\
        民生福祉,6.城镇调查失业率（%）,5.2,<5.5,—,预期性\n\
        绿色生态,8.单位GDP能源消耗降低（%）,—,—,〔13.5〕,约束性\n\
        安全保障,10.粮食综合生产能力（亿吨）,—,>6.5,—,约束性\n\
        注：〔 〕内为5年累计数。,,,,,\n";
    let g = grid(text);
    // Strict: the first phrase without a number is an error naming its cell.
    let e = import(&g, &ImportOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("保持在合理区间") && e.contains("row 2"), "{e}");
    // Lenient: the GDP row has no number, so the row growing faster than
    // it has nothing to be compared with: both are kept as text, and say so.
    let got = import(
        &g,
        &ImportOptions {
            lenient: true,
            ..ImportOptions::default()
        },
    )
    .unwrap();
    let kinds: Vec<(&str, &str)> = got
        .plan
        .indicators
        .iter()
        .map(|i| (i.name_zh.as_str(), i.target.kind()))
        .collect();
    assert!(kinds.contains(&("6.城镇调查失业率", "level")), "{kinds:?}");
    assert!(
        kinds.contains(&("10.粮食综合生产能力", "level")),
        "{kinds:?}"
    );
    let unemployment = got
        .plan
        .indicators
        .iter()
        .find(|i| i.name_zh.contains("失业率"))
        .unwrap();
    assert_eq!(unemployment.target.direction(), attain::Direction::AtMost);
    // 〔13.5〕 is read as a five-year change (the table's note says so), but
    // the intensity it changes is not printed: kept as text, not guessed.
    let unread: Vec<usize> = got.unread.iter().map(|u| u.row).collect();
    assert_eq!(unread, vec![2, 3, 5], "{:?}", got.unread);
    assert!(
        got.unread[1].reason.contains("\"GDP\""),
        "{}",
        got.unread[1].reason
    );
    assert!(
        got.unread[2].reason.contains("change over the plan"),
        "{}",
        got.unread[2].reason
    );
    assert_eq!(got.warnings.len(), 3, "{:?}", got.warnings);
}
