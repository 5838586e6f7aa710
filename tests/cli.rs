//! End-to-end tests of the `attain` program: the binary run on the shipped
//! plan and on a plan with every target kind (tests/data/every_kind.toml),
//! its exit codes, its CSV and JSON against the library's results for the
//! same seed, and the well-formedness of its SVG charts and HTML report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use attain::Plan;
use attain::forecast::backtest::{Config, SeriesData, backtest, leaderboard};
use attain::plan::actuals::Actuals;
use attain::plan::consistency::check_plan;
use attain::review::{Known, review};
use attain::simulate::attainment::Attainment;
use attain::simulate::engine::{Engine, RunOptions};
use attain::simulate::scenario::Scenario;
use unicode_width::UnicodeWidthStr;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn path(rel: &str) -> String {
    format!("{ROOT}/{rel}")
}

fn shipped() -> String {
    path("data/hunan_14th_fyp_commerce.toml")
}

fn every_kind() -> String {
    path("tests/data/every_kind.toml")
}

fn every_kind_scenario() -> String {
    path("tests/data/every_kind_scenario.toml")
}

fn attain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_attain"))
        .args(args)
        .output()
        .expect("the attain binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs and asserts success, returning standard output.
fn ok(args: &[&str]) -> String {
    let o = attain(args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("attain-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// CSV text as maps from column name to cell.
fn csv_rows(text: &str) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let head = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            head.iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

fn num(row: &BTreeMap<String, String>, col: &str) -> Option<f64> {
    let v = &row[col];
    (!v.is_empty()).then(|| v.parse().unwrap_or_else(|_| panic!("{col}: {v}")))
}

/// The library's run of `plan` under `scenario` with the default options.
fn library_run(plan: &Plan, scenario: &Scenario) -> Attainment {
    Engine::new(plan, scenario, RunOptions::default())
        .unwrap()
        .run()
        .unwrap()
}

/// Parses an SVG file and returns its document text.
fn svg(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text)
        .unwrap_or_else(|e| panic!("{}: not well-formed XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    text
}

fn count_tags(doc: &roxmltree::Document, name: &str) -> usize {
    doc.descendants()
        .filter(|n| n.tag_name().name() == name)
        .count()
}

#[test]
fn check_csv_and_json_agree_with_the_library() {
    let plan = Plan::load(shipped()).unwrap();
    let checks = check_plan(&plan).unwrap();
    let rows = csv_rows(&ok(&["check", &shipped(), "--format", "csv"]));
    assert_eq!(rows.len(), plan.indicators.len());
    for (row, c) in rows.iter().zip(&checks) {
        assert_eq!(row["id"], c.id);
        // Full precision: the very same numbers.
        assert_eq!(num(row, "implied_growth_pct"), c.implied_growth_pct);
        assert_eq!(num(row, "reached"), c.reached);
        assert_eq!(
            row["consistent"],
            c.consistent.map_or(String::new(), |b| b.to_string())
        );
    }
    // Row 1 of the Hunan table: 4875 -> 8400 implies 11.496%, not "12".
    assert_eq!(rows[0]["consistent"], "false");
    assert!((num(&rows[0], "implied_growth_pct").unwrap() - 11.496).abs() < 1e-3);

    let json: serde_json::Value =
        serde_json::from_str(&ok(&["check", &shipped(), "--format", "json"])).unwrap();
    assert_eq!(json["command"], "check");
    assert_eq!(json["attain_version"], env!("CARGO_PKG_VERSION"));
    let back: Vec<attain::plan::consistency::RowCheck> =
        serde_json::from_value(json["checks"].clone()).unwrap();
    assert_eq!(back, checks);
    assert_eq!(json["rows"].as_array().unwrap().len(), checks.len());
    assert_eq!(json["rows"][0]["id"], "trade_total");
}

#[test]
fn table_aligns_cjk_names_by_display_width() {
    let text = ok(&["check", &shipped()]);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines[1];
    let col_end = |line: &str, k: usize| -> usize {
        // Display width up to the end of byte offset k.
        line[..k].width()
    };
    // "unit" starts at the same display column on every row: the names
    // before it are CJK of different lengths.
    let unit_at = col_end(header, header.find("unit").unwrap());
    let mut seen = 0;
    for line in &lines[3..] {
        for unit in ["亿元 ", "亿美元 ", "万吨 "] {
            if let Some(k) = line.find(unit) {
                assert_eq!(col_end(line, k), unit_at, "{line}");
                seen += 1;
            }
        }
    }
    assert!(seen >= 12, "{seen}");
}

#[test]
fn simulate_csv_and_json_agree_with_the_library_for_the_same_seed() {
    let plan = Plan::load(shipped()).unwrap();
    let mut scenario = Scenario::named("baseline");
    scenario.seed = 11;
    scenario.paths = 6_000;
    let lib = library_run(&plan, &scenario);
    // The same run in each format and setting asked for below.
    let run = |format: &str, extra: &[&str]| {
        let shipped = shipped();
        let mut args = vec![
            "simulate", &shipped, "--seed", "11", "--paths", "6000", "--format", format,
        ];
        args.extend_from_slice(extra);
        ok(&args)
    };
    let csv = run("csv", &[]);
    let rows = csv_rows(&csv);
    assert_eq!(
        rows.len(),
        lib.targets.len() + 2,
        "targets and two joint rows"
    );
    for (row, t) in rows.iter().zip(&lib.targets) {
        assert_eq!(row["id"], t.id);
        assert_eq!(row["target_index"], t.target_index.to_string());
        assert_eq!(num(row, "p_attain"), t.attain.map(|p| p.p));
        assert_eq!(num(row, "p_low"), t.attain.map(|p| p.low));
        assert_eq!(num(row, "p_high"), t.attain.map(|p| p.high));
        assert_eq!(num(row, "threshold"), t.threshold);
    }
    let joint = &rows[lib.targets.len()];
    assert_eq!(joint["id"], "joint_binding");
    assert_eq!(num(joint, "p_attain"), lib.joint_binding.map(|p| p.p));
    // Results do not depend on the number of threads.
    let one = run("csv", &["--threads", "1"]);
    assert_eq!(one, csv);

    let json: serde_json::Value = serde_json::from_str(&run("json", &[])).unwrap();
    assert_eq!(json["scenario"]["seed"], 11);
    let back: Attainment = serde_json::from_value(json["attainment"].clone()).unwrap();
    assert_eq!(back, lib);
    assert_eq!(
        json["rows"][0]["p_attain"],
        serde_json::json!(lib.targets[0].attain.unwrap().p)
    );

    // --fan: the quantiles per series and year as the main table.
    let fan = csv_rows(&run("csv", &["--fan"]));
    let years = (plan.target_year - plan.base_year + 1) as usize;
    assert_eq!(fan.len(), lib.fan.len() * years);
    let last = &lib.fan[0].years[years - 1];
    assert_eq!(fan[years - 1]["year"], plan.target_year.to_string());
    assert_eq!(num(&fan[years - 1], "q50"), Some(last.quantiles[2]));
}

#[test]
fn every_target_kind_simulates_with_charts_and_a_report() {
    let dir = scratch("every-kind");
    let charts = dir.join("charts");
    let report = dir.join("report.html");
    let csv = ok(&[
        "simulate",
        &every_kind(),
        "--scenario",
        &every_kind_scenario(),
        "--format",
        "csv",
        "--chart",
        charts.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let plan = Plan::load(every_kind()).unwrap();
    let scenario = Scenario::load(every_kind_scenario(), &plan).unwrap();
    let lib = library_run(&plan, &scenario);
    let rows = csv_rows(&csv);
    let kinds: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["kind"].as_str()).collect();
    for kind in [
        "level",
        "growth",
        "cumulative",
        "ratio",
        "aggregate",
        "every_year",
        "milestones",
        "approximately",
        "multiple",
        "range",
        "relative_growth",
    ] {
        assert!(kinds.contains(kind), "{kind} missing from {kinds:?}");
    }
    // Every target is simulated (the scenario models the flow and the share).
    for (row, t) in rows.iter().zip(&lib.targets) {
        assert!(t.attain.is_some(), "{}", t.id);
        assert_eq!(num(row, "p_attain"), t.attain.map(|p| p.p), "{}", t.id);
    }

    // One fan chart per indicator (ids sanitized), and the probability chart.
    let mut files: Vec<String> = std::fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    assert_eq!(files.len(), plan.indicators.len() + 1, "{files:?}");
    assert!(files.contains(&"fan_export_volume.svg".to_string()));
    for f in &files {
        let text = svg(&charts.join(f));
        let doc = roxmltree::Document::parse(&text).unwrap();
        assert!(count_tags(&doc, "text") > 5, "{f}");
        // Text names the CJK-capable font families, ending in a generic one.
        assert!(
            text.contains("Noto Sans CJK SC") && text.contains("sans-serif"),
            "{f}"
        );
    }
    let fan = svg(&charts.join("fan_output.svg"));
    let doc = roxmltree::Document::parse(&fan).unwrap();
    // Two bands, the title with both names and P(attain) of both targets.
    assert!(count_tags(&doc, "polygon") >= 2);
    assert!(fan.contains("总产出 Output"));
    let p = lib.target("output", 0).unwrap().attain.unwrap();
    assert!(
        fan.contains(&format!("{:.3} [{:.3}, {:.3}]", p.p, p.low, p.high)),
        "P(attain) in the title"
    );
    assert!(fan.contains("(cumulative) = "));
    assert!(fan.contains("path summing to the cumulative target"));
    let prob = svg(&charts.join("probability.svg"));
    let doc = roxmltree::Document::parse(&prob).unwrap();
    assert!(prob.contains("all binding targets jointly"));
    let j = lib.joint_binding.unwrap();
    assert!(prob.contains(&format!("{:.3} [{:.3}, {:.3}]", j.p, j.low, j.high)));
    // A bar per target plus the joint one and the three legend squares.
    assert!(count_tags(&doc, "rect") > lib.targets.len() + 3);

    // The report: well-formed, self-contained, with table, charts, inputs.
    let html = std::fs::read_to_string(&report).unwrap();
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, opts)
        .unwrap_or_else(|e| panic!("report is not well-formed: {e}"));
    assert_eq!(count_tags(&doc, "svg"), files.len());
    assert_eq!(count_tags(&doc, "table"), 1);
    assert!(count_tags(&doc, "tr") > lib.targets.len());
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "no external resources"
    );
    assert!(!html.contains("<script") && !html.contains("<link"));
    assert!(html.contains(&format!("attain {}", env!("CARGO_PKG_VERSION"))));
    let text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .map(|n| n.text().unwrap())
        .collect();
    assert!(text.contains("seed = 99"), "the scenario with its seed");
    assert!(
        text.contains("name = \"测试规划 every target kind\""),
        "the plan itself"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn review_agrees_with_the_library_and_charts_the_actuals() {
    let dir = scratch("review");
    let charts = dir.join("charts");
    let report = dir.join("review.html");
    let actuals_file = path("data/hunan_actuals.csv");
    let csv = ok(&[
        "review",
        &shipped(),
        "--actuals",
        &actuals_file,
        "--as-of",
        "2022",
        "--paths",
        "4000",
        "--seed",
        "5",
        "--format",
        "csv",
        "--chart",
        charts.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    let plan = Plan::load(shipped()).unwrap();
    let actuals = Actuals::load(&actuals_file, &plan).unwrap();
    let known: Known = plan
        .series_ids()
        .map(|id| (id.to_string(), actuals.trajectory(id, &plan)))
        .collect();
    let mut scenario = Scenario::named("baseline");
    scenario.paths = 4000;
    scenario.seed = 5;
    let lib = review(&plan, &scenario, &known, 2022).unwrap();
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), lib.len());
    for (row, r) in rows.iter().zip(&lib) {
        assert_eq!(row["id"], r.id);
        assert_eq!(row["as_of"], "2022");
        assert_eq!(num(row, "p_now"), r.p_now.map(|p| p.p));
        assert_eq!(num(row, "p_before"), r.p_before.map(|p| p.p));
        assert_eq!(num(row, "latest"), r.latest.map(|l| l.1));
    }
    // trade_total: 7058.2 in 2022, unverified in the shipped file.
    assert_eq!(rows[0]["latest"], "7058.2");
    assert_eq!(rows[0]["verified"], "no");
    // Three actuals of trade_total (2020-2022) as points on its fan chart.
    let fan = svg(&charts.join("fan_trade_total.svg"));
    let doc = roxmltree::Document::parse(&fan).unwrap();
    assert!(count_tags(&doc, "circle") >= 3);
    assert!(fan.contains("P(attain | actuals to 2022)"));
    // Every element the fan chart must have, named in its legend and title.
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "text")
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    for label in [
        "进出口总额 Total imports and exports",
        "90% band (5%-95%)",
        "50% band (25%-75%)",
        "simulated median",
        "plan path",
        "target ≥ 8400",
        "actual",
    ] {
        assert!(texts.contains(&label), "{label} not in {texts:?}");
    }
    // The bands (two areas, a polygon each) and the target's marker.
    assert!(count_tags(&doc, "polygon") >= 3);
    let html = std::fs::read_to_string(&report).unwrap();
    let opts = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(&html, opts).unwrap();
    assert!(count_tags(&doc, "svg") > 10);
    assert!(
        html.contains("trade_total,2022,7058.2"),
        "the actuals are embedded"
    );
    // The command that reproduces the review, with every option before the comment.
    let cmd = html
        .lines()
        .find(|l| l.contains("attain review plan.toml"))
        .expect("the reproduce command");
    let before_comment = cmd.split('#').next().unwrap();
    assert!(
        before_comment.contains("--actuals actuals.csv --as-of 2022"),
        "{cmd}"
    );
    // Default --as-of: the latest year with actuals (2022).
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "review",
        &shipped(),
        "--actuals",
        &actuals_file,
        "--paths",
        "2000",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["as_of"], 2022);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Synthetic `id,year,value` data: three series of 14 years.
fn backtest_data() -> (String, Vec<SeriesData>) {
    let mut csv = String::from("id,year,value\n");
    let mut series = Vec::new();
    for (k, id) in ["a", "b", "c"].iter().enumerate() {
        let mut values = Vec::new();
        for t in 0..14 {
            // Growth near 6% with a deterministic wiggle.
            let wiggle = ((t * 7 + k * 3) % 5) as f64 * 0.01 - 0.02;
            let v: f64 = 100.0 * (1.06f64 + wiggle).powi(t as i32) * (1.0 + k as f64);
            csv.push_str(&format!("{id},{},{v}\n", 2000 + t));
            values.push(v);
        }
        series.push(SeriesData::new(*id, values));
    }
    (csv, series)
}

#[test]
fn backtest_leaderboard_agrees_with_the_library() {
    let dir = scratch("backtest");
    let (text, series) = backtest_data();
    let data = dir.join("data.csv");
    std::fs::write(&data, text).unwrap();
    let charts = dir.join("charts");
    let csv = ok(&[
        "backtest",
        data.to_str().unwrap(),
        "--horizon",
        "2",
        "--format",
        "csv",
        "--chart",
        charts.to_str().unwrap(),
    ]);
    let rows = csv_rows(&csv);
    let methods = [
        "naive",
        "rw_drift",
        "cagr",
        "log_linear_trend",
        "ar1_growth",
        "damped_holt",
        "calibrated",
    ];
    // One row per method for all horizons and for each of 2 horizons.
    assert_eq!(rows.len(), methods.len() * 3);
    let lib: Vec<Box<dyn attain::forecast::Method>> = vec![
        Box::new(attain::forecast::Naive),
        Box::new(attain::forecast::RandomWalkDrift),
    ];
    // The default target: each series' average growth over the file.
    let series: Vec<SeriesData> = series
        .into_iter()
        .map(|mut s| {
            s.target_growth_pct = s.average_growth_pct();
            s
        })
        .collect();
    let board = leaderboard(&backtest(&lib, &series, &Config::new(2, 5).unwrap()).unwrap());
    for (method, h, metric) in [
        ("naive", None, "mae"),
        ("rw_drift", Some(2), "crps"),
        ("rw_drift", None, "brier"),
    ] {
        let row = rows
            .iter()
            .find(|r| {
                r["method"] == method
                    && r["horizon"] == h.map_or(String::new(), |h: usize| h.to_string())
            })
            .unwrap();
        let score = board
            .iter()
            .find(|s| {
                s.method == method
                    && s.horizon == h
                    && serde_json::to_value(s.metric).unwrap() == metric
            })
            .unwrap();
        assert_eq!(num(row, metric), score.value, "{method} {h:?} {metric}");
    }
    // Ranks 1..=6 within the all-horizons block, by MASE ascending.
    let all: Vec<&BTreeMap<String, String>> =
        rows.iter().filter(|r| r["horizon"].is_empty()).collect();
    assert_eq!(all[0]["rank"], "1");
    let mase: Vec<f64> = all.iter().map(|r| num(r, "mase").unwrap()).collect();
    assert!(mase.windows(2).all(|w| w[0] <= w[1]), "{mase:?}");
    for r in &all {
        let b = num(r, "brier").unwrap();
        assert!((0.0..=1.0).contains(&b));
    }
    let rel = svg(&charts.join("reliability.svg"));
    assert!(rel.contains("Brier"));
    let score = svg(&charts.join("score_by_horizon.svg"));
    assert!(score.contains("damped_holt"));
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "backtest",
        data.to_str().unwrap(),
        "--horizon",
        "2",
        "--format",
        "json",
    ]))
    .unwrap();
    // Calibration by method, for each horizon and all together.
    assert_eq!(
        json["calibration"].as_array().unwrap().len(),
        methods.len() * 3
    );
    // PIT histograms: in JSON, by method and horizon (each, then all).
    let pit = json["pit"].as_array().unwrap();
    assert_eq!(pit.len(), methods.len() * 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn backtest_reports_calibration() {
    let dir = scratch("backtest_pit");
    let (text, series) = backtest_data();
    let data = dir.join("data.csv");
    std::fs::write(&data, text).unwrap();
    let (charts, pit_csv) = (dir.join("charts"), dir.join("pit.csv"));
    let run = |metric: &str| {
        csv_rows(&ok(&[
            "backtest",
            data.to_str().unwrap(),
            "--horizon",
            "2",
            "--metric",
            metric,
            "--format",
            "csv",
            "--quiet",
        ]))
    };
    // The new columns come after the old ones (forecasts, problems).
    let csv = ok(&[
        "backtest",
        data.to_str().unwrap(),
        "--horizon",
        "2",
        "--format",
        "csv",
        "--chart",
        charts.to_str().unwrap(),
        "--pit-csv",
        pit_csv.to_str().unwrap(),
    ]);
    assert!(csv.lines().next().unwrap().ends_with(
        "brier,forecasts,problems,coverage50,brier_climate,brier_skill,\
         pit_error,pit_chi2,pit_p_value,coverage_error"
    ));
    // The library's histograms (naive and rw_drift at horizon 1), to the bit.
    let lib: Vec<Box<dyn attain::forecast::Method>> = vec![
        Box::new(attain::forecast::Naive),
        Box::new(attain::forecast::RandomWalkDrift),
    ];
    let series: Vec<SeriesData> = series
        .into_iter()
        .map(|mut s| {
            s.first_year = Some(2000);
            s
        })
        .collect();
    let rows = backtest(&lib, &series, &Config::new(2, 5).unwrap()).unwrap();
    let hist = attain::forecast::backtest::pit_histograms(&rows);
    let pit_rows = csv_rows(&std::fs::read_to_string(&pit_csv).unwrap());
    // 7 methods (calibrated too), 3 horizon blocks, 10 bins.
    assert_eq!(pit_rows.len(), 7 * 3 * 10);
    for h in &hist {
        let lines: Vec<_> = pit_rows
            .iter()
            .filter(|r| {
                r["method"] == h.method
                    && r["horizon"] == h.horizon.map_or(String::new(), |h| h.to_string())
            })
            .collect();
        let counts: Vec<usize> = lines.iter().map(|r| r["count"].parse().unwrap()).collect();
        assert_eq!(counts, h.counts, "{}", h.method);
        assert_eq!(num(lines[0], "chi2"), h.chi2);
        assert_eq!(num(lines[0], "p_value"), h.p_value);
        let shares: f64 = lines.iter().map(|r| num(r, "share").unwrap()).sum();
        assert!((shares - 1.0).abs() < 1e-12);
    }
    let pit_svg = svg(&charts.join("pit.svg"));
    assert!(pit_svg.contains("rw_drift") && pit_svg.contains("uniform"));
    for h in ["pit_h1.svg", "pit_h2.svg"] {
        assert!(svg(&charts.join(h)).contains("damped_holt"));
    }
    // --metric pit ranks by the PIT calibration error, coverage by the mean
    // coverage error (its three coverages' distances from nominal).
    for (metric, column) in [("pit", "pit_error"), ("coverage", "coverage_error")] {
        let rows = run(metric);
        for h in ["", "1", "2"] {
            let block: Vec<f64> = rows
                .iter()
                .filter(|r| r["horizon"] == h)
                .map(|r| num(r, column).unwrap())
                .collect();
            assert_eq!(block.len(), 7);
            assert!(
                block.windows(2).all(|w| w[0] <= w[1]),
                "{metric} {h}: {block:?}"
            );
        }
        let r = &rows[0];
        let cov = (num(r, "coverage50").unwrap() - 0.5).abs()
            + (num(r, "coverage80").unwrap() - 0.8).abs()
            + (num(r, "coverage95").unwrap() - 0.95).abs();
        assert!((num(r, "coverage_error").unwrap() - cov / 3.0).abs() < 1e-12);
    }
    // The skill is ranked highest first.
    let rows = run("brier_skill");
    let skill: Vec<f64> = rows
        .iter()
        .filter(|r| r["horizon"].is_empty())
        .map(|r| num(r, "brier_skill").unwrap())
        .collect();
    assert!(skill.windows(2).all(|w| w[0] >= w[1]), "{skill:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Exit 2 with a message naming what is wrong, and nothing of a panic.
fn bad_input(args: &[&str], expect: &[&str]) {
    let o = attain(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    for e in expect {
        assert!(err.contains(e), "{args:?}: {err} lacks {e}");
    }
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    assert!(o.stdout.is_empty(), "nothing on standard output");
}

#[test]
fn bad_input_exits_2_naming_file_indicator_and_field() {
    let dir = scratch("bad");
    let plan = std::fs::read_to_string(shipped()).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, plan.replacen("base = 951", "base = -951", 1)).unwrap();
    let bad = bad.to_str().unwrap();
    for sub in ["check", "simulate"] {
        bad_input(
            &[sub, bad],
            &["bad.toml", "processing_trade", "base", "-951"],
        );
    }
    let typo = dir.join("typo.toml");
    std::fs::write(
        &typo,
        plan.replacen("stated_growth = \"16\"", "stated_growth = \"sixteen\"", 1),
    )
    .unwrap();
    bad_input(
        &["check", typo.to_str().unwrap()],
        &["typo.toml", "services_trade", "stated_growth"],
    );
    bad_input(&["check", "no/such/plan.toml"], &["no/such/plan.toml"]);
    // A horizon of billions of years: an error, not an out-of-memory abort.
    let huge = dir.join("huge.toml");
    std::fs::write(
        &huge,
        std::fs::read_to_string(every_kind())
            .unwrap()
            .replace("target_year = 2025", "target_year = 2000000000"),
    )
    .unwrap();
    bad_input(
        &["simulate", huge.to_str().unwrap()],
        &["target_year", "plan years"],
    );
    bad_input(
        &[
            "review",
            huge.to_str().unwrap(),
            "--actuals",
            &path("tests/data/every_kind_actuals.csv"),
        ],
        &["target_year", "plan years"],
    );
    bad_input(
        &[
            "simulate",
            &shipped(),
            "--scenario",
            "no/such/scenario.toml",
        ],
        &["no/such/scenario.toml"],
    );
    let scen = dir.join("scenario.toml");
    std::fs::write(
        &scen,
        "name = \"x\"\n[models.nope]\nmodel = \"log_normal\"\ngrowth_pct = 5\nsd = 0.1\n",
    )
    .unwrap();
    bad_input(
        &["simulate", &shipped(), "--scenario", scen.to_str().unwrap()],
        &["scenario.toml", "nope"],
    );
    bad_input(&["simulate", &shipped(), "--paths", "0"], &["paths"]);
    // --paths has an upper bound (with --se it is the cap: tests/bad_input.rs).
    bad_input(
        &["simulate", &shipped(), "--paths", "1000000001"],
        &["paths", "must be at most 1000000000, got 1000000001"],
    );
    // A negative tolerance is a value, and is refused as one.
    bad_input(
        &["simulate", &shipped(), "--se", "-0.01"],
        &["--se: must be a positive standard error", "got -0.01"],
    );
    bad_input(&["simulate", &shipped(), "--threads", "0"], &["--threads"]);
    bad_input(
        &["simulate", &shipped(), "--threads", "100000"],
        &["--threads", "1024"],
    );
    bad_input(&["check", &shipped(), "--format", "xml"], &["xml"]);
    let actuals = dir.join("actuals.csv");
    std::fs::write(&actuals, "id,year,value\ntrade_total,2021,-5\n").unwrap();
    bad_input(
        &["review", &shipped(), "--actuals", actuals.to_str().unwrap()],
        &["actuals.csv", "trade_total", "line 2", "value"],
    );
    bad_input(
        &[
            "review",
            &shipped(),
            "--actuals",
            &path("data/hunan_actuals.csv"),
            "--as-of",
            "2030",
        ],
        &["as_of"],
    );
    let data = dir.join("data.csv");
    std::fs::write(&data, "id,year,value\na,2000,1\na,2002,2\n").unwrap();
    bad_input(
        &["backtest", data.to_str().unwrap()],
        &[
            "data.csv",
            "\"a\"",
            "2001 is missing",
            "consecutive",
            "run with --fill-gaps",
        ],
    );
    let hist = path("data/hunan_history.csv");
    bad_input(
        &[
            "backtest",
            &hist,
            "--fill-gaps",
            "--engine-paths",
            "2000000",
        ],
        &["--engine-paths"],
    );
    bad_input(
        &[
            "backtest",
            &hist,
            "--fill-gaps",
            "--horizon",
            "18446744073709551615",
        ],
        &["horizons"],
    );
    std::fs::write(&data, "id,year,value\na,1,100\na,2000000000,200\n").unwrap();
    bad_input(
        &["backtest", data.to_str().unwrap(), "--fill-gaps"],
        &["data.csv", "too long to fill"],
    );
    std::fs::write(&data, "id,year,value\na,2000,1\na,2002,2\n").unwrap();
    // Filled on request, at the growth joining the ends.
    let json: serde_json::Value = serde_json::from_str(&ok(&[
        "backtest",
        data.to_str().unwrap(),
        "--fill-gaps",
        "--min-train",
        "2",
        "--horizon",
        "1",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["filled_years"][0]["years"], serde_json::json!([2001]));
    bad_input(
        &["backtest", data.to_str().unwrap(), "--metric", "nope"],
        &["--metric", "nope"],
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn other_failures_exit_1() {
    let dir = scratch("fail");
    // --out into a path below a regular file cannot be written.
    let file = dir.join("file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("out.csv");
    let o = attain(&["check", &shipped(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn out_writes_the_same_as_standard_output() {
    let dir = scratch("out");
    let out = dir.join("sub/check.json");
    let o = attain(&[
        "check",
        &shipped(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        ok(&["check", &shipped(), "--format", "json"])
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_writes_a_working_example_and_refuses_to_overwrite() {
    let dir = scratch("init");
    let d = dir.to_str().unwrap();
    ok(&["init", d]);
    let plan = dir.join("plan.toml");
    let scenario = dir.join("scenario.toml");
    // The example loads, every kind included, and simulates every target.
    let p = Plan::load(&plan).unwrap();
    assert_eq!(p.indicators.len(), 12);
    let s = Scenario::load(&scenario, &p).unwrap();
    let rows = csv_rows(&ok(&[
        "simulate",
        plan.to_str().unwrap(),
        "--scenario",
        scenario.to_str().unwrap(),
        "--paths",
        "3000",
        "--format",
        "csv",
    ]));
    let mut s = s;
    s.paths = 3000;
    let lib = library_run(&p, &s);
    assert!(lib.targets.iter().all(|t| t.attain.is_some()));
    assert_eq!(
        num(&rows[0], "p_attain"),
        lib.targets[0].attain.map(|p| p.p)
    );
    // Again: refused, files untouched; with --force: replaced.
    std::fs::write(&plan, "edited").unwrap();
    bad_input(&["init", d], &["plan.toml", "--force"]);
    assert_eq!(std::fs::read_to_string(&plan).unwrap(), "edited");
    ok(&["init", d, "--force"]);
    assert!(Plan::load(&plan).is_ok());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_lists_the_subcommands_and_exit_codes() {
    let help = ok(&["--help"]);
    for sub in [
        "check",
        "simulate",
        "review",
        "backtest",
        "calibrate",
        "init",
        "Exit status",
    ] {
        assert!(help.contains(sub), "{sub}");
    }
    assert!(ok(&["--version"]).contains(env!("CARGO_PKG_VERSION")));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_cleanly_with_130_and_writes_nothing() {
    let dir = scratch("ctrlc");
    let out = dir.join("never.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_attain"))
        .args([
            "simulate",
            &shipped(),
            "--paths",
            "500000000",
            "--format",
            "csv",
            "--out",
        ])
        .arg(&out)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Time for the handler to be installed and the run to start.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("interrupted: cancelled after"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The library's calibration of the shipped history as of `as_of`.
fn library_calibration(plan: &Plan, as_of: i32) -> attain::calibration::HistoryScenario {
    use attain::forecast::history::{Gaps, yearly_series};
    let actuals = Actuals::read(path("data/hunan_history.csv")).unwrap();
    let history = yearly_series(&actuals, Gaps::Geometric).unwrap();
    attain::calibration::calibrated_scenario(&history, Some(plan), as_of).unwrap()
}

#[test]
fn calibrate_writes_a_scenario_that_simulate_reads_unchanged() {
    let dir = scratch("calibrate");
    let file = dir.join("s.toml");
    let history = path("data/hunan_history.csv");
    let o = attain(&[
        "calibrate",
        &history,
        "--plan",
        &shipped(),
        "--as-of",
        "2022",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Series the history cannot model are named, on standard error and in
    // the file.
    assert!(
        stderr(&o).contains(
            "retail_sales (fewer than 2 observed growths up to 2022: filled values are not observations)"
        ),
        "{}",
        stderr(&o)
    );
    let plan = Plan::load(shipped()).unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    // The file is the library's scenario, to the bit.
    let loaded = Scenario::load(&file, &plan).unwrap();
    let lib = library_calibration(&plan, 2022);
    assert_eq!(loaded.models, lib.scenario.models);
    assert_eq!(loaded.correlation, lib.scenario.correlation);
    assert_eq!(
        loaded.models.keys().collect::<Vec<_>>(),
        ["fdi", "gdp", "trade_total"]
    );
    // What the scenario does not hold is in its comments.
    for needle in [
        "history ",
        "data/hunan_history.csv (19 series, years 2015-2022)",
        "# trade_total",
        "sample: 8 values, 2015-2022, 4 of them filled into gaps",
        "(se 0.",
        "own estimate's weight",
        "pool of 4 series",
        "Peers (in the pool, not in the plan): capital_attracted_total, chenglingji_container_teu",
        "persistence of growth",
        "recalibration of the spread",
        "h  1: shape",
        "Correlation of the observed log growths",
        "Not calibrated",
    ] {
        assert!(text.contains(needle), "{needle} not in\n{text}");
    }
    // Without --out it goes to standard output.
    let printed = ok(&[
        "calibrate",
        &history,
        "--plan",
        &shipped(),
        "--as-of",
        "2022",
    ]);
    assert_eq!(printed, text);
    // simulate --scenario runs it as the library does.
    let csv = ok(&[
        "simulate",
        &shipped(),
        "--scenario",
        file.to_str().unwrap(),
        "--paths",
        "4000",
        "--seed",
        "3",
        "--format",
        "csv",
        "--quiet",
    ]);
    let mut s = lib.scenario.clone();
    s.paths = 4000;
    s.seed = 3;
    let att = library_run(&plan, &s);
    let rows = csv_rows(&csv);
    for r in &att.targets {
        let row = rows
            .iter()
            .find(|row| row["id"] == r.id && row["target_index"] == r.target_index.to_string())
            .unwrap();
        assert_eq!(num(row, "p_attain"), r.attain.map(|p| p.p), "{}", r.id);
        assert_eq!(
            row["scenario_source"],
            format!("scenario {}", file.display())
        );
    }
    // As of the plan's base year (the default) no plan series has two
    // observed growths: the file has no models, and says why.
    let o = attain(&["calibrate", &history, "--plan", &shipped()]);
    assert_eq!(o.status.code(), Some(0));
    let base = stdout(&o);
    assert!(!base.contains("[models."), "{base}");
    assert!(base.contains("trade_total (fewer than 2 observed growths up to 2020"));
    assert!(base.contains("processing_trade (1 value up to 2020, 3 needed)"));
    // Without a plan every series with enough history is modelled.
    let all = ok(&["calibrate", &history]);
    assert!(all.contains("[models.trade_dependency]"), "{all}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn review_with_history_calibrates_on_values_up_to_the_review_year() {
    let actuals_file = path("data/hunan_actuals.csv");
    let history = path("data/hunan_history.csv");
    let plan_file = shipped();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "review",
            plan_file.as_str(),
            "--actuals",
            actuals_file.as_str(),
            "--as-of",
            "2022",
            "--paths",
            "4000",
            "--seed",
            "5",
            "--format",
            "csv",
            "--quiet",
        ];
        args.extend_from_slice(extra);
        csv_rows(&ok(&args))
    };
    let with = run(&["--history", &history]);
    let plain = run(&[]);
    // Every row says what it rests on.
    for r in &with {
        assert_eq!(
            r["scenario_source"],
            format!("history {history} (19 series, years 2015-2022)")
        );
    }
    assert!(plain.iter().all(|r| r["scenario_source"] == "plan only"));
    let plan = Plan::load(shipped()).unwrap();
    let actuals = Actuals::load(&actuals_file, &plan).unwrap();
    let known: Known = plan
        .series_ids()
        .map(|id| (id.to_string(), actuals.trajectory(id, &plan)))
        .collect();
    let mut scenario = library_calibration(&plan, 2022).scenario;
    scenario.paths = 4000;
    scenario.seed = 5;
    let lib = review(&plan, &scenario, &known, 2022).unwrap();
    for (row, r) in with.iter().zip(&lib) {
        assert_eq!(num(row, "p_now"), r.p_now.map(|p| p.p), "{}", r.id);
    }
    // The history moves trade_total, fdi and GDP (so the aggregate of fdi
    // and trade's ratio to GDP), and nothing it cannot model.
    let p = |rows: &[BTreeMap<String, String>], id: &str| {
        num(rows.iter().find(|r| r["id"] == id).unwrap(), "p_now").unwrap()
    };
    for id in ["trade_total", "fdi", "foreign_capital"] {
        assert!((p(&with, id) - p(&plain, id)).abs() > 0.02, "{id}");
    }
    // Trade and GDP both move, so their ratio moves less.
    assert_ne!(p(&with, "trade_dependency"), p(&plain, "trade_dependency"));
    // P before knows only the values dated by the base year, 2020: too few
    // for any plan series, so it is the plan-only baseline's, as without
    // the history, and says so.
    for (w, o) in with.iter().zip(&plain) {
        assert_eq!(w["p_before"], o["p_before"], "{}", w["id"]);
        assert_eq!(w["scenario_source_before"], "plan only");
    }
    for id in ["processing_trade", "retail_sales", "odi"] {
        assert_eq!(p(&with, id), p(&plain, id), "{id}");
    }
    // Later values of the history are not used: as of 2021 trade_total has
    // one observed growth (2020-2021), too few, so it keeps the default.
    let o = attain(&[
        "review",
        &shipped(),
        "--actuals",
        &actuals_file,
        "--as-of",
        "2021",
        "--history",
        &history,
        "--paths",
        "2000",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("trade_total (fewer than 2 observed growths up to 2021"),
        "{}",
        stderr(&o)
    );
    // --history with --scenario is refused.
    let o = attain(&[
        "review",
        &shipped(),
        "--actuals",
        &actuals_file,
        "--history",
        &history,
        "--scenario",
        &every_kind_scenario(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot be used with"), "{}", stderr(&o));
}

#[test]
fn every_output_says_what_the_probabilities_rest_on() {
    let dir = scratch("source");
    let report = dir.join("r.html");
    let base = ["simulate", "--paths", "2000", "--quiet"];
    let run = |extra: &[&str]| {
        let plan = shipped();
        let mut args = vec![base[0], plan.as_str()];
        args.extend_from_slice(&base[1..]);
        args.extend_from_slice(extra);
        ok(&args)
    };
    // The table: the source, and for the plan alone what that means.
    let table = run(&["--report", report.to_str().unwrap()]);
    let head: Vec<&str> = table.lines().take(3).collect();
    assert_eq!(head[1], "Probabilities rest on: plan only.");
    assert!(head[2].contains("plan-consistent baseline"), "{}", head[2]);
    assert!(head[2].contains("reference class"), "{}", head[2]);
    assert!(head[2].contains("`--history FILE`"), "{}", head[2]);
    // The report: a fact, and the table's lead.
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<dt>probabilities rest on</dt><dd>plan only</dd>"));
    assert!(html.contains("plan-consistent baseline"));
    // JSON: the Display string, the structured source, and in the
    // library's result.
    let json: serde_json::Value = serde_json::from_str(&run(&["--format", "json"])).unwrap();
    assert_eq!(json["scenario_source"], "plan only");
    assert_eq!(json["source"]["kind"], "plan_only");
    assert_eq!(json["attainment"]["source"]["kind"], "plan_only");
    // The fan table's CSV too.
    let fan = csv_rows(&run(&["--fan", "--format", "csv"]));
    assert!(fan.len() > 20);
    assert!(fan.iter().all(|r| r["scenario_source"] == "plan only"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// In-year tracking of a synthetic flow: three past years spread evenly (so
/// the June share is exactly 1/2, no spread) and this year's June.
fn in_year_files(dir: &Path) -> (PathBuf, PathBuf) {
    let plan = dir.join("plan.toml");
    std::fs::write(
        &plan,
        r#"
name = "annual"
base_year = 2021
target_year = 2022
[[indicator]]
id = "trade"
name = "Trade"
name_zh = "进出口"
unit = "亿元"
attribute = "expected"
target = { kind = "level", value = 130 }
"#,
    )
    .unwrap();
    let mut csv = String::from("id,year,month,value\n");
    for (year, per_month) in [(2019, 8.0), (2020, 9.0), (2021, 10.0)] {
        for m in 1..=12 {
            csv.push_str(&format!("trade,{year},{m},{per_month}\n"));
        }
    }
    csv.push_str("trade,2022,Q1,33\ntrade,2022,Q2,33\n");
    let data = dir.join("in_year.csv");
    std::fs::write(&data, csv).unwrap();
    (plan, data)
}

#[test]
fn track_reads_months_and_quarters_and_writes_every_format() {
    let dir = scratch("track");
    let (plan, data) = in_year_files(&dir);
    let (plan, data) = (plan.to_str().unwrap(), data.to_str().unwrap());
    let csv = ok(&["track", plan, "--in-year", data, "--format", "csv"]);
    let rows = csv_rows(&csv);
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    for col in [
        "id",
        "year",
        "month",
        "ytd",
        "target",
        "done_pct",
        "elapsed_pct",
        "expected_done_pct",
        "projected",
        "p_attain",
        "p_low",
        "p_high",
        "status",
    ] {
        assert!(head.contains(&col), "{col} missing from {head:?}");
    }
    // 2021 is the plan's base year, with no target: the one row is 2022 as
    // of June, the latest month in the file.
    assert_eq!(rows.len(), 1, "{csv}");
    let r = &rows[0];
    assert_eq!((r["year"].as_str(), r["month"].as_str()), ("2022", "6"));
    assert_eq!(num(r, "ytd"), Some(66.0));
    assert_eq!(num(r, "elapsed_pct"), Some(50.0));
    assert!((num(r, "done_pct").unwrap() - 100.0 * 66.0 / 130.0).abs() < 1e-9);
    // Every past June share is exactly 1/2: the profile is exact and wins
    // over the trend, the projection is 66 / 0.5 = 132 >= 130: P = 1.
    assert!((num(r, "expected_done_pct").unwrap() - 50.0).abs() < 1e-9);
    assert!((num(r, "projected").unwrap() - 132.0).abs() < 1e-9);
    assert_eq!(num(r, "p_attain"), Some(1.0));
    assert_eq!(r["status"], "ahead");
    // yoy: 66 against 60 by June 2021.
    assert!((num(r, "yoy_pct").unwrap() - 10.0).abs() < 1e-9);

    // As of March: 33 against 1/4 of the year; the same P (33 * 4 = 132).
    let csv = ok(&[
        "track",
        plan,
        "--in-year",
        data,
        "--as-of",
        "2022-03",
        "--format",
        "csv",
    ]);
    let r = &csv_rows(&csv)[0];
    assert!((num(r, "projected").unwrap() - 132.0).abs() < 1e-9);

    let json = ok(&["track", plan, "--in-year", data, "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["command"], "track");
    assert_eq!(v["as_of"], "2022-06");
    assert_eq!(v["rows"][0]["p_attain"], serde_json::json!(1.0));
    assert_eq!(
        v["tracking"]["rows"][0]["tracking"]["ytd"],
        serde_json::json!(66.0)
    );

    let charts = dir.join("charts");
    let report = dir.join("report.html");
    let table = ok(&[
        "track",
        plan,
        "--in-year",
        data,
        "--chart",
        charts.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert!(table.contains("进出口"), "{table}");
    svg(&charts.join("in_year_trade.svg"));
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<svg") && html.contains("--in-year in_year.csv"));
}

#[test]
fn track_refuses_bad_input_with_exit_2() {
    let dir = scratch("track-bad");
    let (plan, data) = in_year_files(&dir);
    let (plan_s, data_s) = (plan.to_str().unwrap(), data.to_str().unwrap());
    for (args, says) in [
        (vec!["--as-of", "2022"], "YYYY-MM"),
        (vec!["--as-of", "2022-13"], "YYYY-MM"),
        (vec!["--as-of", "2021-06"], "outside the plan years"),
        (vec!["--window", "1"], "--window"),
    ] {
        let mut a = vec!["track", plan_s, "--in-year", data_s];
        a.extend(args);
        let o = attain(&a);
        assert_eq!(o.status.code(), Some(2), "{a:?}");
        assert!(stderr(&o).contains(says), "{a:?}: {}", stderr(&o));
    }
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "id,year,month,ytd\ntrade,2022,6,5\ntrade,2022,7,4\n").unwrap();
    let o = attain(&["track", plan_s, "--in-year", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("bad.csv") && e.contains("line 3: ytd") && e.contains("trade"),
        "{e}"
    );
    std::fs::write(&bad, "id,year,month,ytd\nnope,2022,6,5\n").unwrap();
    let o = attain(&["track", plan_s, "--in-year", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("line 2: id"), "{}", stderr(&o));
}

#[test]
fn decompose_writes_yearly_targets_and_an_annual_plan_that_track_reads() {
    let dir = scratch("decompose");
    let csv = ok(&["decompose", &shipped(), "--by-year", "--format", "csv"]);
    let rows = csv_rows(&csv);
    let trade: Vec<_> = rows.iter().filter(|r| r["id"] == "trade_total").collect();
    assert_eq!(trade.len(), 5);
    // 4875 * (8400 / 4875)^(2/5) in 2022; the last year is the target.
    let want = 4875.0 * (8400.0f64 / 4875.0).powf(0.4);
    assert!((num(trade[1], "target").unwrap() - want).abs() < 1e-9);
    assert_eq!(num(trade[4], "target"), Some(8400.0));
    let annual = dir.join("y2022.toml");
    ok(&[
        "decompose",
        &shipped(),
        "--year",
        "2022",
        "--write-plan",
        annual.to_str().unwrap(),
    ]);
    let ytd = path("data/in_year/hunan_trade_ytd.csv");
    let out = ok(&[
        "track",
        annual.to_str().unwrap(),
        "--in-year",
        &ytd,
        "--format",
        "csv",
    ]);
    let r = &csv_rows(&out)[0];
    assert!((num(r, "target").unwrap() - want).abs() < 1e-9);
    assert_eq!(r["target_from"], "target_year");
    assert!((num(r, "done_pct").unwrap() - 100.0 * 7058.2 / want).abs() < 1e-9);
    let o = attain(&[
        "decompose",
        &shipped(),
        "--year",
        "2030",
        "--write-plan",
        annual.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn decompose_parts_split_a_target_and_simulate_reads_the_parts_plan() {
    let dir = scratch("decompose-parts");
    let parts = path("tests/data/trade_parts.csv");
    let plan_out = dir.join("parts.toml");
    let csv = ok(&[
        "decompose",
        &shipped(),
        "--parts",
        &parts,
        "--write-plan",
        plan_out.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    let rows = csv_rows(&csv);
    assert_eq!(rows.len(), 2);
    // Shares of the base 4875: 3000 and 1875; the targets sum to 8400.
    assert!((num(&rows[0], "share_pct").unwrap() - 100.0 * 3000.0 / 4875.0).abs() < 1e-9);
    let a = num(&rows[0], "target").unwrap();
    let b = num(&rows[1], "target").unwrap();
    assert!((a - 8400.0 * 3000.0 / 4875.0).abs() < 1e-9);
    assert!((a + b - 8400.0).abs() < 1e-9);
    assert_eq!(rows[1]["part_id"], "trade_total.rest");
    let sim = ok(&[
        "simulate",
        plan_out.to_str().unwrap(),
        "--paths",
        "4000",
        "--quiet",
        "--format",
        "csv",
    ]);
    let rows = csv_rows(&sim);
    let p = |id: &str| {
        let r = rows.iter().find(|r| r["id"] == id).unwrap();
        num(r, "p_attain").unwrap()
    };
    // Each part's median grows at the stated 12% (above the 11.5% the
    // target needs); independent by default, the parts offset each other's
    // misses, so the whole is likelier than either part.
    let whole = p("trade_total");
    for id in ["trade_total.changsha", "trade_total.rest"] {
        assert!(
            p(id) > 0.5 && whole > p(id) + 0.02,
            "{id}: {} vs {whole}",
            p(id)
        );
    }
    // A ratio does not split: a typed error naming the indicator.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, "id,part,weight\ntrade_dependency,a,1\n").unwrap();
    let o = attain(&["decompose", &shipped(), "--parts", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("trade_dependency") && stderr(&o).contains("does not add up"));
    let o = attain(&["decompose", &shipped(), "--write-plan", "x.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn review_lists_a_lower_bound_actual_as_a_warning() {
    let dir = scratch("review-lower-bound");
    let actuals = dir.join("a.csv");
    std::fs::write(
        &actuals,
        "id,year,value,at_least\ntrade_total,2021,5988.5,\nservices_trade,2022,400,true\n",
    )
    .unwrap();
    let out = ok(&[
        "review",
        &shipped(),
        "--actuals",
        actuals.to_str().unwrap(),
        "--paths",
        "200",
        "--quiet",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let bounds: Vec<_> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["code"] == "lower_bound")
        .collect();
    assert_eq!(bounds.len(), 1, "{bounds:?}");
    assert_eq!(bounds[0]["indicator"], "services_trade");
}

#[test]
fn import_reads_the_printed_table_and_export_gives_the_plan_back() {
    let dir = scratch("import");
    let plan = dir.join("plan.toml");
    let o = attain(&[
        "import",
        &path("data/hunan_14th_fyp_as_printed.csv"),
        "--with",
        &path("data/hunan_14th_fyp_as_printed.overlay.toml"),
        "--out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("22 rows read, 0 kept but not simulated"));
    // `attain check` agrees with the shipped plan's on every row.
    let drop_file = |t: String| t.lines().skip(1).collect::<Vec<_>>().join("\n");
    let ours = ok(&["check", plan.to_str().unwrap(), "--format", "csv"]);
    let theirs = ok(&["check", &shipped(), "--format", "csv"]);
    assert_eq!(drop_file(ours.clone()), drop_file(theirs.clone()));
    assert_eq!(csv_rows(&ours), csv_rows(&theirs));
    // Without the overlay: the unnumbered row is kept, not simulated, and said.
    let o = attain(&["import", &path("data/hunan_14th_fyp_as_printed.csv")]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("warning[not_simulated] indicator \"row_7_unnumbered\""));
    assert!(stdout(&o).contains("# row 7 (利用外资（亿美元）)"));
    // A phrase it cannot read: exit 2 naming row, column and text.
    let bad = dir.join("bad.csv");
    std::fs::write(
        &bad,
        "指标,2020年,2025年,属性\nGDP增长（%）,2.3,保持在合理区间,预期性\n",
    )
    .unwrap();
    bad_input(
        &["import", bad.to_str().unwrap()],
        &["bad.csv", "row 2", "2025年", "保持在合理区间"],
    );
    let o = attain(&["import", bad.to_str().unwrap(), "--lenient"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stderr(&o).contains("warning[unread_phrase]"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("#   2025年: 保持在合理区间"));
    // Export, CSV and XLSX, then import: the same plan.
    for (ext, format) in [("csv", "csv"), ("xlsx", "xlsx")] {
        let table = dir.join(format!("every.{ext}"));
        let o = attain(&[
            "export",
            &every_kind(),
            "--format",
            format,
            "--out",
            table.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let back = dir.join(format!("back_{ext}.toml"));
        ok(&[
            "import",
            table.to_str().unwrap(),
            "--with",
            dir.join("every.overlay.toml").to_str().unwrap(),
            "--out",
            back.to_str().unwrap(),
        ]);
        let mut got = Plan::load(&back).unwrap();
        let want = Plan::load(every_kind()).unwrap();
        got.source = want.source.clone();
        assert_eq!(got, want, "{ext}");
    }
}

#[test]
fn no_command_writes_over_its_input() {
    let dir = scratch("overwrite");
    let plan = dir.join("plan.toml");
    std::fs::copy(shipped(), &plan).unwrap();
    let table = dir.join("table.csv");
    std::fs::copy(path("data/hunan_14th_fyp_as_printed.csv"), &table).unwrap();
    let in_year = dir.join("ytd.csv");
    std::fs::copy(path("data/in_year/hunan_trade_ytd.csv"), &in_year).unwrap();
    let before: Vec<Vec<u8>> = [&plan, &table, &in_year]
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let (p, t, y) = (
        plan.to_str().unwrap(),
        table.to_str().unwrap(),
        in_year.to_str().unwrap(),
    );
    for args in [
        vec!["import", t, "--lenient", "--out", t],
        vec!["export", p, "--format", "csv", "--out", p],
        vec!["track", p, "--in-year", y, "--out", y],
        vec!["track", p, "--in-year", y, "--report", p],
        vec!["decompose", p, "--year", "2022", "--write-plan", p],
        vec!["decompose", p, "--out", p],
    ] {
        let o = attain(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("refusing to overwrite"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
    for (p, b) in [&plan, &table, &in_year].iter().zip(&before) {
        assert_eq!(&std::fs::read(p).unwrap(), b, "{}", p.display());
    }
}

#[test]
fn a_growth_rows_fan_is_drawn_in_percent() {
    let dir = scratch("growth_fan");
    let charts = dir.join("charts");
    let o = attain(&[
        "simulate",
        &shipped(),
        "--paths",
        "2000",
        "--quiet",
        "--chart",
        charts.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    // ftz_trade_growth: "年均增长15%", simulated as an index from 1.
    let svg = std::fs::read_to_string(charts.join("fan_ftz_trade_growth.svg")).unwrap();
    assert!(
        svg.contains("average growth since the base year, %"),
        "axis"
    );
    // Its ticks are growth rates around the stated 15, not an index near 1-2.
    assert!(svg.contains(">\n15.0\n<"), "no 15% tick");
    // A level row keeps its unit.
    let level = std::fs::read_to_string(charts.join("fan_trade_total.svg")).unwrap();
    assert!(level.contains("亿元") && !level.contains("average growth since"));
}

#[test]
fn labels_follow_lang() {
    let actuals = path("data/hunan_actuals.csv");
    let review = |lang: &str| {
        let rows = csv_rows(&ok(&[
            "review",
            &shipped(),
            "--actuals",
            &actuals,
            "--as-of",
            "2022",
            "--paths",
            "2000",
            "--quiet",
            "--format",
            "csv",
            "--lang",
            lang,
        ]));
        let r = rows
            .iter()
            .find(|r| r["id"] == "trade_total")
            .unwrap()
            .clone();
        (r["unsd"].clone(), r["open_sdg"].clone())
    };
    assert_eq!(review("en"), ("on_track".into(), "substantial".into()));
    assert_eq!(review("zh"), ("进展顺利".into(), "进展显著".into()));
    let track = |lang: &str| {
        let rows = csv_rows(&ok(&[
            "track",
            &path("data/in_year/changsha_airport_2022.toml"),
            "--in-year",
            &path("data/in_year/changsha_airport_2022.csv"),
            "--format",
            "csv",
            "--lang",
            lang,
        ]));
        rows.iter().find(|r| r["id"] == "trade").unwrap()["status"].clone()
    };
    assert_eq!(track("en"), "ahead");
    assert_eq!(track("zh"), "超前");
    assert_eq!(attain(&["track", "--lang", "fr"]).status.code(), Some(2));
}
