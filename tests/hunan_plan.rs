//! The shipped Hunan plan: every row as printed, round trips, and the
//! consistency check against values computed independently (python3, the
//! expressions in the comments).

use attain::plan::consistency::check_plan;
use attain::{Attribute, Plan, Target};

fn plan() -> Plan {
    Plan::load(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/hunan_14th_fyp_commerce.toml"
    ))
    .unwrap()
}

#[test]
fn every_row_as_printed() {
    let p = plan();
    assert_eq!((p.base_year, p.target_year), (2020, 2025));
    assert_eq!(p.indicators.len(), 22);
    let numbers: Vec<Option<u32>> = p.indicators.iter().map(|i| i.no).collect();
    let mut expect: Vec<Option<u32>> = (1..=21).map(Some).collect();
    expect.insert(4, None); // the unnumbered 利用外资 row stands before row 5
    assert_eq!(numbers, expect);
    // (no, base, 2025 value, stated growth text, binding)
    let levels = [
        (1, 4875.0, 8400.0, "12"),
        (2, 951.0, 1650.0, "12"),
        (3, 283.1, 600.0, "16"),
        (5, 14.0, 56.0, "32"),
        (6, 196.0, 396.0, "15"),
        (7, 8737.0, 14000.0, "10"),
        (12, 3043.5, 5000.0, "10"),
        (13, 7.6, 15.3, "15"),
        (14, 1128.0, 1800.0, "10"),
        (15, 546.0, 1200.0, "17"),
        (16, 1330.0, 2300.0, "12"),
    ];
    let row = |no: u32| p.indicators.iter().find(|i| i.no == Some(no)).unwrap();
    for (no, base, value, growth) in levels {
        let r = row(no);
        assert_eq!(r.base, Some(base), "row {no}");
        assert_eq!(
            r.target,
            Target::Level {
                value,
                direction: Default::default()
            },
            "row {no}"
        );
        assert_eq!(r.stated_growth.as_ref().unwrap().text, growth, "row {no}");
        assert_eq!(r.attribute, Attribute::Expected, "row {no}");
    }
    assert!(matches!(row(4).target, Target::Ratio { value: 15.0, .. }));
    assert_eq!(row(4).base, Some(11.7));
    assert!(matches!(
        row(8).target,
        Target::EveryYear { value: 100.0, .. }
    ));
    assert_eq!(
        row(9).target,
        Target::Cumulative {
            total: 100.0,
            direction: Default::default()
        }
    );
    assert_eq!(row(9).base, Some(14.9));
    assert_eq!(
        row(10).target,
        Target::Cumulative {
            total: 150.0,
            direction: Default::default()
        }
    );
    assert_eq!(row(10).base, Some(22.53));
    assert!(matches!(
        row(11).target,
        Target::Approximately { value: 22800.0, .. }
    ));
    let g = row(11).stated_growth.as_ref().unwrap();
    assert!(g.about && g.pct == 7.0 && g.text == "7左右");
    let Target::Milestones { points, .. } = &row(17).target else {
        panic!("row 17")
    };
    let steps: Vec<(i32, f64)> = points.iter().map(|m| (m.year, m.value)).collect();
    assert_eq!(steps, [(2021, 70.0), (2022, 90.0), (2023, 100.0)]);
    for (no, pct, binding) in [
        (17, None, true),
        (18, Some(15.0), true),
        (19, Some(10.0), false),
        (20, Some(12.0), true),
        (21, Some(20.0), true),
    ] {
        let r = row(no);
        assert_eq!(r.attribute == Attribute::Binding, binding, "row {no}");
        assert_eq!(r.base, None, "row {no}");
        if let Some(pct) = pct {
            assert_eq!(r.target, Target::growth(pct), "row {no}");
        }
    }
    let agg = p.indicator("foreign_capital").unwrap();
    assert_eq!(agg.base, Some(210.0));
    assert!(
        matches!(&agg.target, Target::Aggregate { components, value: None, .. }
        if components == &["fdi", "fdi_reinvestment"])
    );
    assert_eq!(p.series[0].base, 41781.49);
}

/// Every row's identity as printed: (no, id, category, name, unit, attribute,
/// target kind). Checked against the seed text by hand and by a python parse of
/// its table cells.
#[test]
fn every_row_identity() {
    // no | id | category | name as printed | unit | attribute | target kind.
    // The unnumbered row prints no attribute; see its note in the file.
    const ROWS: &str = "
        1|trade_total|对外贸易|进出口总额|亿元|expected|level
        2|processing_trade|对外贸易|加工贸易|亿元|expected|level
        3|services_trade|对外贸易|服务贸易|亿元|expected|level
        4|trade_dependency|对外贸易|对外贸易依存度|%|expected|ratio
        |foreign_capital|招商引资|利用外资|亿美元|expected|aggregate
        5|fdi|招商引资|外商直接投资|亿美元|expected|level
        6|fdi_reinvestment|招商引资|外商再投资|亿美元|expected|level
        7|domestic_capital|招商引资|内联引资|亿元|expected|level
        8|fortune500_projects|招商引资|“三类500强”重大产业项目数|个|expected|every_year
        9|odi|对外经济合作|对外实际投资额|亿美元|expected|cumulative
        10|overseas_contracting|对外经济合作|对外承包工程完成营业额|亿美元|expected|cumulative
        11|retail_sales|内贸流通|社会消费品零售总额|亿元|expected|approximately
        12|online_retail|内贸流通|网络零售额|亿元|expected|level
        13|air_cargo|口岸建设|航空口岸国际货运量|万吨|expected|level
        14|water_cargo|口岸建设|水运口岸进出口货运量|万吨|expected|level
        15|china_europe_trains|口岸建设|中欧班列开行列数|列|expected|level
        16|bonded_zone_trade|口岸建设|海关特殊监管区域进出口总额|亿元|expected|level
        17|ftz_reform_rate|自贸试验区|改革试点任务率|%|binding|milestones
        18|ftz_trade_growth|自贸试验区|进出口总额年均增长|%|binding|growth
        19|ftz_tax_growth|自贸试验区|税收收入年均增长|%|expected|growth
        20|ftz_fai_growth|自贸试验区|固定资产投资年均增长|%|binding|growth
        21|ftz_fdi_growth|自贸试验区|利用外商直接投资年均增长|%|binding|growth";
    let p = plan();
    let expect: Vec<&str> = ROWS.trim().lines().map(str::trim).collect();
    assert_eq!(p.indicators.len(), expect.len());
    for (ind, line) in p.indicators.iter().zip(expect) {
        let got = [
            ind.no.map_or(String::new(), |n| n.to_string()),
            ind.id.clone(),
            ind.category.clone(),
            ind.name_zh.clone(),
            ind.unit.clone(),
            ind.attribute.en().to_string(),
            ind.target.kind().to_string(),
        ]
        .join("|");
        assert_eq!(got, line);
        assert!(ind.extra_targets.is_empty(), "{line}");
        assert!(!ind.name.is_empty(), "{line}");
    }
    // What the 2025 cell prints where it is not a plain number.
    let note = |id: &str| p.indicator(id).unwrap().note.as_deref().unwrap();
    assert_eq!(note("fortune500_projects"), "每年新增100个");
    assert_eq!(note("odi"), "累计完成100亿美元");
    assert_eq!(note("overseas_contracting"), "累计完成150亿美元");
    assert_eq!(
        note("ftz_reform_rate"),
        "2021年底70%，2022年底90%，2023年100%"
    );
    // Rows printing "—" as growth carry none.
    for id in [
        "trade_dependency",
        "foreign_capital",
        "fortune500_projects",
        "odi",
        "overseas_contracting",
        "ftz_reform_rate",
    ] {
        assert_eq!(p.indicator(id).unwrap().stated_growth, None, "{id}");
    }
    // The one auxiliary series: GDP, our assumption of 6% a year.
    assert_eq!(p.series.len(), 1);
    let gdp = &p.series[0];
    assert_eq!((gdp.id.as_str(), gdp.base), ("gdp", 41781.49));
    assert_eq!(gdp.assumed_growth_pct, Some(6.0));
    assert!(gdp.source.as_deref().unwrap().contains("communique 2020"));
    assert!(
        p.source
            .as_deref()
            .unwrap()
            .contains("湘政办发〔2021〕57号")
    );
    assert!(matches!(
        &p.indicator("trade_dependency").unwrap().target,
        Target::Ratio { numerator, denominator, value: 15.0, scale: 100.0, .. }
            if numerator == "trade_total" && denominator == "gdp"
    ));
    assert_eq!(
        p.indicator("retail_sales").unwrap().target,
        Target::Approximately {
            value: 22800.0,
            tolerance_pct: 5.0
        }
    );
}

#[test]
fn toml_and_json_round_trips_lose_nothing() {
    let p = plan();
    assert_eq!(
        Plan::from_toml_str(&p.to_toml_string().unwrap()).unwrap(),
        p
    );
    assert_eq!(
        Plan::from_json_str(&p.to_json_string().unwrap()).unwrap(),
        p
    );
    let dir = std::env::temp_dir().join(format!("attain-roundtrip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["plan.toml", "plan.json"] {
        let path = dir.join(name);
        p.save(&path).unwrap();
        assert_eq!(Plan::load(&path).unwrap(), p, "{name}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn consistency_of_every_row() {
    let p = plan();
    let checks = check_plan(&p).unwrap();
    let by_id = |id: &str| checks.iter().find(|c| c.id == id).unwrap();
    // python3: imp = ((t/b)**0.2 - 1)*100; reached = b*(1+g/100)**5;
    // gap = (reached/t - 1)*100; consistent = g-0.5 <= imp < g+0.5 (7左右: +-1).
    let expect = [
        ("trade_total", 11.496423, 8591.415706, 2.278758, false),
        ("processing_trade", 11.650503, 1675.986941, 1.574966, true),
        ("services_trade", 16.209672, 594.606723, -0.898879, true),
        ("fdi", 31.950791, 56.104499, 0.186606, true),
        ("fdi_reinvestment", 15.103313, 394.226009, -0.447978, true),
        ("domestic_capital", 9.888726, 14071.02587, 0.507328, true),
        ("retail_sales", 6.997479, 22802.686038, 0.011781, true),
        ("online_retail", 10.438205, 4901.587185, -1.968256, true),
        ("air_cargo", 15.020584, 15.286315, -0.089447, true),
        ("water_cargo", 9.797558, 1816.65528, 0.925293, true),
        (
            "china_europe_trains",
            17.057089,
            1197.076627,
            -0.243614,
            true,
        ),
        ("bonded_zone_trade", 11.577144, 2343.914439, 1.909323, true),
    ];
    for (id, implied, reached, gap, consistent) in expect {
        let c = by_id(id);
        assert!(
            (c.implied_growth_pct.unwrap() - implied).abs() < 1e-5,
            "{id}"
        );
        assert!(
            (c.reached.unwrap() - reached).abs() < 1e-5 * reached,
            "{id}"
        );
        assert!((c.gap_pct.unwrap() - gap).abs() < 1e-5, "{id}");
        assert_eq!(c.consistent, Some(consistent), "{id}");
    }
    // Cumulative rows, by bisection in python3 on sum(b*(1+g)**t, t=1..5) = X.
    assert!((by_id("odi").implied_growth_pct.unwrap() - 9.978424).abs() < 1e-5);
    assert!((by_id("overseas_contracting").implied_growth_pct.unwrap() - 9.701965).abs() < 1e-5);
    for id in ["odi", "overseas_contracting"] {
        let c = by_id(id);
        assert_eq!(
            (c.reached, c.gap_pct, c.consistent),
            (None, None, None),
            "{id}"
        );
    }
    assert_eq!(by_id("odi").threshold, Some(100.0));
    assert_eq!(by_id("overseas_contracting").threshold, Some(150.0));
    assert_eq!(by_id("trade_dependency").consistent, None);
    // Ratio row: (15/11.7)**0.2 - 1; GDP may grow at most (8400/0.15/41781.49)**0.2 - 1.
    let r = by_id("trade_dependency");
    assert!((r.implied_growth_pct.unwrap() - 5.094764).abs() < 1e-5);
    assert!((r.max_denominator_growth_pct.unwrap() - 6.032944).abs() < 1e-5);
    // Aggregate: 14 + 196 = 210 adds up; 56 + 396 = 452 implies (452/210)**0.2 - 1.
    let a = by_id("foreign_capital");
    assert_eq!(a.components_add_up, Some(true));
    assert_eq!(a.threshold, Some(452.0));
    assert!((a.implied_growth_pct.unwrap() - 16.569203).abs() < 1e-5);
    // Growth-only rows carry their stated rate; flows and milestones have none.
    assert_eq!(by_id("ftz_trade_growth").implied_growth_pct, Some(15.0));
    assert_eq!(by_id("fortune500_projects").implied_growth_pct, None);
    assert_eq!(by_id("ftz_reform_rate").consistent, None);
    assert_eq!(by_id("ftz_reform_rate").implied_growth_pct, None);
    for (id, pct) in [
        ("ftz_trade_growth", 15.0),
        ("ftz_tax_growth", 10.0),
        ("ftz_fai_growth", 12.0),
        ("ftz_fdi_growth", 20.0),
    ] {
        let c = by_id(id);
        assert_eq!(c.implied_growth_pct, Some(pct), "{id}");
        assert_eq!(c.consistent, None, "{id}");
    }
    assert_eq!(a.consistent, None);
    // Exactly one row is out of its band: row 1.
    let inconsistent: Vec<&str> = checks
        .iter()
        .filter(|c| c.consistent == Some(false))
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(inconsistent, ["trade_total"]);
    assert_eq!(
        checks.iter().filter(|c| c.consistent == Some(true)).count(),
        11
    );
}
