//! SVG charts drawn with plotters: fan charts, the probability chart, the
//! reliability diagram, scores by horizon and PIT histograms.
//!
//! Text is written as SVG `<text>` with the font family list [`FONT`]: the
//! viewer picks the first it has, so Chinese names render wherever a CJK font
//! is installed, without the program embedding or even reading a font file
//! (plotters is built without its font-loading features).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use attain::forecast::score::ReliabilityBin;
use attain::plan::growth;
use attain::simulate::attainment::{Probability, SeriesFan};
use attain::{Indicator, Plan, Target};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{CliError, write_file};

/// Font families, in order of preference; the last is the generic fallback.
pub const FONT: &str = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, \
WenQuanYi Micro Hei, sans-serif";

const PLAN_COLOUR: RGBColor = RGBColor(90, 90, 90);
const FAN_COLOUR: RGBColor = RGBColor(31, 119, 180);
const TARGET_COLOUR: RGBColor = RGBColor(214, 39, 40);
const ACTUAL_COLOUR: RGBColor = RGBColor(0, 0, 0);
const BINDING_COLOUR: RGBColor = RGBColor(214, 39, 40);
const EXPECTED_COLOUR: RGBColor = RGBColor(31, 119, 180);
const JOINT_COLOUR: RGBColor = RGBColor(60, 60, 60);
/// Colours of the methods in the backtest charts (cycled).
const METHOD_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A chart: the name its file gets and the SVG text.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File name (`fan_trade_total.svg`).
    pub file: String,
    /// What it shows, for the report's heading.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// Turns a plotters error into a failure (exit 1).
fn drawn<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, CliError> {
    r.map_err(|e| CliError::Failure(format!("drawing a chart: {e}")))
}

/// A file-name stem from an id: ASCII letters, digits, `-` and `_` kept,
/// anything else `_`; never empty, never a path.
pub fn sanitize(id: &str) -> String {
    let s: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if s.is_empty() { "_".to_string() } else { s }
}

/// Unique file names `{prefix}{sanitized id}.svg` in order: ids that
/// sanitize alike ("a b", "a_b") get `-2`, `-3`, ... after the first.
pub fn file_names(prefix: &str, ids: &[&str]) -> Vec<String> {
    let mut taken = BTreeSet::new();
    ids.iter()
        .map(|id| {
            let stem = format!("{prefix}{}", sanitize(id));
            let mut name = format!("{stem}.svg");
            let mut k = 2;
            while !taken.insert(name.to_ascii_lowercase()) {
                name = format!("{stem}-{k}.svg");
                k += 1;
            }
            name
        })
        .collect()
}

/// Writes every chart into `dir` (created if missing); returns the paths.
pub fn write_all(dir: &Path, charts: &[Chart]) -> Result<Vec<PathBuf>, CliError> {
    charts
        .iter()
        .map(|c| {
            let path = dir.join(&c.file);
            write_file(&path, &c.svg).map(|_| path)
        })
        .collect()
}

fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// "0.612 [0.609, 0.615]".
pub fn p_text(p: &Probability) -> String {
    format!("{:.3} [{:.3}, {:.3}]", p.p, p.low, p.high)
}

/// Low and high of the finite values, padded by 8% (a flat series gets a
/// band around its value; nothing finite gets 0..1).
fn y_range(values: impl IntoIterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo {
        0.08 * (hi - lo)
    } else {
        0.1 * lo.abs().max(1.0)
    };
    (lo - pad, hi + pad)
}

/// What a fan chart of one indicator shows besides the simulated bands.
pub struct FanInput<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// The indicator.
    pub indicator: &'a Indicator,
    /// Its simulated quantiles per year.
    pub fan: &'a SeriesFan,
    /// P(attain) of each of its targets, main first (`None`: not simulated).
    pub probabilities: Vec<Option<Probability>>,
    /// Reported values (year, value), drawn as points.
    pub actuals: Vec<(i32, f64)>,
    /// What the probability is of ("P(attain)", "P(attain | actuals 2022)").
    pub p_label: String,
}

/// Plan years, as the exponent of a growth path (a validated plan has at
/// least one; the engine could not have simulated more than `i32::MAX`).
fn years(plan: &Plan) -> i32 {
    plan.horizon()
        .ok()
        .and_then(|n| i32::try_from(n).ok())
        .unwrap_or(1)
}

/// A target drawn on the level axis: a line through points, or single
/// points, with a legend label.
struct Mark {
    label: String,
    points: Vec<(f64, f64)>,
    line: bool,
}

/// How each target of an indicator shows on its level axis: the level due
/// (level, about, ratio, aggregate, multiple, the level a growth target
/// implies), the floor or ceiling every year, the milestones, or for a
/// cumulative target the constant-growth path whose yearly values sum to it.
fn marks(plan: &Plan, ind: &Indicator, start: f64) -> Vec<Mark> {
    let n = years(plan);
    let end = f64::from(plan.target_year);
    let base = ind.base.unwrap_or(start);
    let sign = |d: attain::Direction| match d {
        attain::Direction::AtLeast => "≥",
        attain::Direction::AtMost => "≤",
    };
    let point = |label: String, v: f64| Mark {
        label,
        points: vec![(end, v)],
        line: false,
    };
    let mut out = Vec::new();
    for t in ind.targets() {
        let mark = match t {
            Target::Level { value, direction } => {
                point(format!("target {} {value}", sign(*direction)), *value)
            }
            Target::Ratio {
                value, direction, ..
            } => point(format!("target ratio {} {value}", sign(*direction)), *value),
            Target::Approximately {
                value,
                tolerance_pct,
            } => Mark {
                label: format!("target about {value} (±{tolerance_pct}%)"),
                points: vec![
                    (end, value * (1.0 - tolerance_pct / 100.0)),
                    (end, *value),
                    (end, value * (1.0 + tolerance_pct / 100.0)),
                ],
                line: false,
            },
            Target::Aggregate {
                value, direction, ..
            } => {
                let v = value.or_else(|| t.level_due(&ind.id, None, &plan.index()).map(|(v, _)| v));
                match v {
                    Some(v) => point(format!("target sum {} {v:.1}", sign(*direction)), v),
                    None => continue,
                }
            }
            Target::Multiple {
                factor,
                direction,
                of_year,
                of_value,
            } => match (of_year, of_value) {
                (Some(y), Some(v)) => point(
                    format!("target {} {factor} × {y} ({v})", sign(*direction)),
                    v * factor,
                ),
                _ => point(
                    format!("target {} {factor} × base", sign(*direction)),
                    base * factor,
                ),
            },
            Target::Growth {
                pct,
                direction,
                about,
                over_plan,
                ..
            } => {
                let g = t.implied_growth_pct(Some(base), n as usize).unwrap_or(*pct);
                let label = match (*about, *over_plan) {
                    (true, _) => format!("target growth about {pct}%/yr"),
                    (false, true) => {
                        format!("target change {} {pct}% over the plan", sign(*direction))
                    }
                    (false, false) => format!("target growth {} {pct}%/yr", sign(*direction)),
                };
                point(label, base * (1.0 + g / 100.0).powi(n))
            }
            Target::EveryYear { value, direction } => Mark {
                label: format!("target {} {value} every year", sign(*direction)),
                points: vec![(f64::from(plan.base_year + 1), *value), (end, *value)],
                line: true,
            },
            Target::Milestones { points, direction } => Mark {
                label: format!("milestones ({})", sign(*direction)),
                points: points
                    .iter()
                    .map(|m| (f64::from(m.year), m.value))
                    .collect(),
                line: false,
            },
            Target::Range { low, high } => Mark {
                label: format!("target {low}–{high} (met at {low}, stretch {high})"),
                points: vec![(end, *low), (end, *high)],
                line: false,
            },
            // A growth relative to another series has no level of its own
            // to mark: its chart is the fan, read against the other's.
            Target::RelativeGrowth { .. } => continue,
            Target::Cumulative { total, direction } => {
                let Ok(g) = growth::cumulative_implied_growth(base, *total, n as u32) else {
                    continue;
                };
                Mark {
                    label: format!(
                        "path summing to the cumulative target {} {total}",
                        sign(*direction)
                    ),
                    points: (1..=n)
                        .map(|k| (f64::from(plan.base_year + k), base * (1.0 + g).powi(k)))
                        .collect(),
                    line: true,
                }
            }
        };
        out.push(mark);
    }
    out
}

/// The plan path: from the base (or the simulated start) at the stated
/// growth, else at the growth the main target implies.
fn plan_path(plan: &Plan, ind: &Indicator, start: f64, marks: &[Mark]) -> Option<Vec<(f64, f64)>> {
    let n = years(plan);
    let base = ind.base.unwrap_or(start);
    let g = plan.growth_pct(&ind.id).map(|p| p / 100.0).or_else(|| {
        // Ratio and aggregate rows state no growth: go to the level due.
        let due = marks.first().filter(|m| !m.line && m.points.len() == 1)?;
        growth::implied_growth(base, due.points[0].1, f64::from(n)).ok()
    })?;
    (base > 0.0 && g.is_finite()).then(|| {
        (0..=n)
            .map(|k| (f64::from(plan.base_year + k), base * (1.0 + g).powi(k)))
            .collect()
    })
}

/// The fan chart of one indicator.
pub fn fan_chart(input: &FanInput) -> Result<String, CliError> {
    let FanInput {
        plan,
        indicator: ind,
        fan,
        ..
    } = input;
    let start = fan.years.first().map_or(f64::NAN, |y| y.quantiles[2]);
    // A growth row is simulated as an index from its start: its axis is
    // the average growth since the base year, in percent, as its unit says.
    let base_year = f64::from(plan.base_year);
    let as_growth = matches!(ind.target, Target::Growth { .. }) && ind.base.is_none();
    let shown = |(x, v): (f64, f64)| -> Option<(f64, f64)> {
        if !as_growth {
            return Some((x, v));
        }
        let t = x - base_year;
        (t > 0.0).then(|| (x, 100.0 * ((v / start).powf(1.0 / t) - 1.0)))
    };
    let shown_all = |pts: Vec<(f64, f64)>| -> Vec<(f64, f64)> {
        pts.into_iter()
            .filter_map(shown)
            .filter(|p| p.1.is_finite())
            .collect()
    };
    let level_marks = marks(plan, ind, start);
    let path = plan_path(plan, ind, start, &level_marks).map(shown_all);
    let marks: Vec<Mark> = level_marks
        .into_iter()
        .map(|m| Mark {
            points: shown_all(m.points),
            ..m
        })
        .collect();
    let actuals: Vec<(f64, f64)> = shown_all(
        input
            .actuals
            .iter()
            .map(|&(y, v)| (f64::from(y), v))
            .collect(),
    );
    let q = |k: usize| -> Vec<(f64, f64)> {
        shown_all(
            fan.years
                .iter()
                .filter(|y| y.quantiles[k].is_finite())
                .map(|y| (f64::from(y.year), y.quantiles[k]))
                .collect(),
        )
    };
    let band = |lo: usize, hi: usize| -> Vec<(f64, f64)> {
        let mut pts = q(lo);
        pts.extend(q(hi).into_iter().rev());
        pts
    };
    let (y0, y1) = y_range(
        q(0).into_iter()
            .chain(q(4))
            .map(|p| p.1)
            .chain(marks.iter().flat_map(|m| m.points.iter().map(|p| p.1)))
            .chain(path.iter().flatten().map(|p| p.1))
            .chain(actuals.iter().map(|a| a.1)),
    );
    let x0 = f64::from(plan.base_year) - 0.3;
    let x1 = f64::from(plan.target_year) + 0.3;
    let title = format!("{} {}", ind.name_zh, ind.name);
    let subtitle = input
        .probabilities
        .iter()
        .enumerate()
        .map(|(k, p)| {
            let kind = ind.targets().nth(k).map_or("", Target::kind);
            let p = p.as_ref().map_or("not simulated".to_string(), p_text);
            format!("{} ({kind}) = {p}", input.p_label)
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (900, 540)).into_drawing_area();
        drawn(root.fill(&WHITE))?;
        let root = drawn(root.titled(&title, font(22)))?;
        let mut chart = drawn(
            ChartBuilder::on(&root)
                .caption(&subtitle, font(15))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(72)
                .build_cartesian_2d(x0..x1, y0..y1),
        )?;
        drawn(
            chart
                .configure_mesh()
                .x_labels(((x1 - x0) as usize + 1).min(12))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .x_desc("year")
                .y_desc(if as_growth {
                    "average growth since the base year, %"
                } else {
                    ind.unit.as_str()
                })
                .label_style(font(13))
                .axis_desc_style(font(14))
                .light_line_style(WHITE)
                .draw(),
        )?;
        // The outer band first, so the inner one draws over it.
        for (lo, hi, shade, label) in [
            (0, 4, 0.18, "90% band (5%-95%)"),
            (1, 3, 0.38, "50% band (25%-75%)"),
        ] {
            let style = FAN_COLOUR.mix(shade).filled();
            drawn(
                chart
                    .draw_series(std::iter::once(Polygon::new(band(lo, hi), style)))
                    .map(|s| {
                        s.label(label).legend(move |(x, y)| {
                            Rectangle::new([(x, y - 5), (x + 16, y + 5)], style)
                        })
                    }),
            )?;
        }
        drawn(
            chart
                .draw_series(LineSeries::new(q(2), FAN_COLOUR.stroke_width(3)))
                .map(|s| {
                    s.label("simulated median").legend(|(x, y)| {
                        PathElement::new([(x, y), (x + 16, y)], FAN_COLOUR.stroke_width(3))
                    })
                }),
        )?;
        if let Some(path) = path {
            drawn(
                chart
                    .draw_series(DashedLineSeries::new(
                        path,
                        8,
                        5,
                        PLAN_COLOUR.stroke_width(2),
                    ))
                    .map(|s| {
                        s.label("plan path").legend(|(x, y)| {
                            PathElement::new([(x, y), (x + 16, y)], PLAN_COLOUR.stroke_width(2))
                        })
                    }),
            )?;
        }
        for m in marks {
            let s = if m.line {
                drawn(chart.draw_series(LineSeries::new(
                    m.points.clone(),
                    TARGET_COLOUR.stroke_width(2),
                )))?
            } else {
                drawn(
                    chart.draw_series(
                        m.points
                            .iter()
                            .map(|&p| TriangleMarker::new(p, 8, TARGET_COLOUR.filled())),
                    ),
                )?
            };
            // The legend shows what the chart shows: a line or a marker.
            if m.line {
                s.label(m.label).legend(|(x, y)| {
                    PathElement::new([(x, y), (x + 16, y)], TARGET_COLOUR.stroke_width(2))
                });
            } else {
                s.label(m.label)
                    .legend(|(x, y)| TriangleMarker::new((x + 8, y), 6, TARGET_COLOUR.filled()));
            }
        }
        if !actuals.is_empty() {
            drawn(
                chart
                    .draw_series(
                        actuals
                            .iter()
                            .map(|&p| Circle::new(p, 5, ACTUAL_COLOUR.filled())),
                    )
                    .map(|s| {
                        s.label("actual")
                            .legend(|(x, y)| Circle::new((x + 8, y), 4, ACTUAL_COLOUR.filled()))
                    }),
            )?;
        }
        legend(&mut chart, 13)?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// One bar of the probability chart.
pub struct Bar {
    /// Row label ("1 进出口总额 (level)").
    pub label: String,
    /// Whether the target is binding.
    pub binding: bool,
    /// The probability.
    pub p: Probability,
}

/// The probability chart: one bar per target with its 95% interval, sorted
/// by probability, binding targets in their own colour, and the joint
/// probability of the binding targets as a last, dark bar.
pub fn probability_chart(
    title: &str,
    mut bars: Vec<Bar>,
    joint: Option<(&str, Probability)>,
    not_shown: usize,
) -> Result<String, CliError> {
    bars.sort_by(|a, b| b.p.p.total_cmp(&a.p.p));
    let rows = bars.len() + usize::from(joint.is_some());
    let (w, row_h, top, left, right) = (960i32, 24i32, 92i32, 330i32, 130i32);
    let h = top + row_h * rows as i32 + 70;
    let x = |p: f64| left + ((w - left - right) as f64 * p.clamp(0.0, 1.0)).round() as i32;
    let mut svg = String::new();
    {
        let root: DrawingArea<SVGBackend, Shift> =
            SVGBackend::with_string(&mut svg, (w as u32, h as u32)).into_drawing_area();
        drawn(root.fill(&WHITE))?;
        // A long title (a plan's full name) goes on two smaller lines, split
        // at its dash, rather than running off the canvas.
        match title.split_once(" — ") {
            Some((head, tail)) if unicode_width::UnicodeWidthStr::width(title) > 80 => {
                drawn(root.draw(&Text::new(head.to_string(), (16, 6), font(16))))?;
                drawn(root.draw(&Text::new(tail.to_string(), (16, 26), font(16))))?;
            }
            _ => drawn(root.draw(&Text::new(title.to_string(), (16, 14), font(20))))?,
        }
        // Legend: the two colours and the interval.
        let legend_y = 50;
        for (k, (colour, text)) in [
            (BINDING_COLOUR, "binding 约束性"),
            (EXPECTED_COLOUR, "expected 预期性"),
            (JOINT_COLOUR, "all binding targets jointly"),
        ]
        .into_iter()
        .enumerate()
        {
            let lx = 16 + 230 * k as i32;
            drawn(root.draw(&Rectangle::new(
                [(lx, legend_y), (lx + 14, legend_y + 12)],
                colour.mix(0.75).filled(),
            )))?;
            drawn(root.draw(&Text::new(
                text.to_string(),
                (lx + 20, legend_y - 1),
                font(13),
            )))?;
        }
        drawn(root.draw(&Text::new(
            "whiskers: 95% interval".to_string(),
            (16 + 230 * 3, legend_y - 1),
            font(13),
        )))?;
        let axis_y = top + row_h * rows as i32 + 6;
        for k in 0..=4 {
            let p = f64::from(k) / 4.0;
            drawn(root.draw(&PathElement::new(
                [(x(p), top - 4), (x(p), axis_y)],
                BLACK.mix(0.15),
            )))?;
            drawn(root.draw(&Text::new(
                format!("{p:.2}"),
                (x(p), axis_y + 6),
                font(12).pos(Pos::new(HPos::Center, VPos::Top)),
            )))?;
        }
        drawn(root.draw(&Text::new(
            "probability of attainment".to_string(),
            (x(0.5), axis_y + 26),
            font(13).pos(Pos::new(HPos::Center, VPos::Top)),
        )))?;
        let rows_iter = bars
            .iter()
            .map(|b| {
                let colour = if b.binding {
                    BINDING_COLOUR
                } else {
                    EXPECTED_COLOUR
                };
                (b.label.clone(), colour, b.p)
            })
            .chain(joint.map(|(label, p)| (label.to_string(), JOINT_COLOUR, p)));
        for (i, (label, colour, p)) in rows_iter.enumerate() {
            let y = top + row_h * i as i32;
            let mid = y + row_h / 2;
            drawn(root.draw(&Text::new(
                label,
                (left - 8, mid),
                font(13).pos(Pos::new(HPos::Right, VPos::Center)),
            )))?;
            drawn(root.draw(&Rectangle::new(
                [(x(0.0), y + 4), (x(p.p), y + row_h - 4)],
                colour.mix(0.75).filled(),
            )))?;
            for seg in [
                [(x(p.low), mid), (x(p.high), mid)],
                [(x(p.low), mid - 5), (x(p.low), mid + 5)],
                [(x(p.high), mid - 5), (x(p.high), mid + 5)],
            ] {
                drawn(root.draw(&PathElement::new(seg, BLACK.stroke_width(1))))?;
            }
            drawn(root.draw(&Text::new(
                p_text(&p),
                (x(1.0) + 8, mid),
                font(12).pos(Pos::new(HPos::Left, VPos::Center)),
            )))?;
        }
        if not_shown > 0 {
            drawn(root.draw(&Text::new(
                format!("{not_shown} target(s) not simulated by the scenario are not shown"),
                (16, h - 18),
                font(12),
            )))?;
        }
        drawn(root.present())?;
    }
    Ok(svg)
}

/// One method's reliability table and Brier score.
pub struct Reliability {
    /// Method name.
    pub method: String,
    /// Brier score over its forecasts.
    pub brier: f64,
    /// Forecasts scored.
    pub count: usize,
    /// The bins.
    pub bins: Vec<ReliabilityBin>,
}

/// The reliability diagram: observed share against forecast probability per
/// bin, one line per method, the diagonal for perfect reliability.
pub fn reliability_chart(title: &str, methods: &[Reliability]) -> Result<String, CliError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 680)).into_drawing_area();
        let axes = Axes {
            x: 0.0..1.0,
            y: 0.0..1.0,
            x_desc: "forecast probability of the target",
            y_desc: "observed share met",
            whole_x_labels: None,
        };
        let mut chart = method_frame(&root, title, 56, axes)?;
        drawn(
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, 0.0), (1.0, 1.0)],
                    6,
                    4,
                    BLACK.mix(0.5).stroke_width(1),
                ))
                .map(|s| {
                    s.label("perfect reliability")
                        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], BLACK.mix(0.5)))
                }),
        )?;
        let lines = methods
            .iter()
            .map(|m| {
                let label = format!("{} (Brier {:.3}, n = {})", m.method, m.brier, m.count);
                let pts = m
                    .bins
                    .iter()
                    .filter_map(|b| Some((b.mean_forecast?, b.observed?)))
                    .collect();
                (label, pts)
            })
            .collect();
        method_lines(&mut chart, lines)?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// Scores by horizon: one line per method.
pub fn score_chart(
    title: &str,
    metric: &str,
    series: &[(String, Vec<(usize, f64)>)],
) -> Result<String, CliError> {
    let hmax = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|p| p.0))
        .max()
        .unwrap_or(1);
    let (y0, y1) = y_range(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().map(|p| p.1))
            .chain([0.0]),
    );
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (820, 560)).into_drawing_area();
        let axes = Axes {
            x: 0.5..hmax as f64 + 0.5,
            y: y0.max(0.0)..y1,
            x_desc: "horizon (years ahead)",
            y_desc: metric,
            whole_x_labels: Some(hmax.min(20)),
        };
        let mut chart = method_frame(&root, title, 64, axes)?;
        let lines = series
            .iter()
            .map(|(method, pts)| {
                let pts = pts
                    .iter()
                    .filter(|p| p.1.is_finite())
                    .map(|&(h, v)| (h as f64, v))
                    .collect();
                (method.clone(), pts)
            })
            .collect();
        method_lines(&mut chart, lines)?;
        drawn(root.present())?;
    }
    Ok(svg)
}

/// One method's panel of the PIT chart.
pub struct PitPanel {
    /// Method name.
    pub method: String,
    /// PITs per equal bin of [0, 1].
    pub counts: Vec<usize>,
    /// Mean absolute deviation of the bin shares from uniform.
    pub calibration_error: Option<f64>,
    /// The chi-square test's nominal p-value.
    pub p_value: Option<f64>,
}

/// PIT histograms, a panel per method: the share of forecasts in each bin,
/// with the uniform share (a calibrated method's) as a dashed line. The
/// panels share the y axis, so heights compare across methods.
pub fn pit_chart(title: &str, panels: &[PitPanel]) -> Result<String, CliError> {
    let cols = panels.len().clamp(1, 3);
    let rows = panels.len().div_ceil(cols).max(1);
    let share = |p: &PitPanel, c: usize| {
        let n: usize = p.counts.iter().sum();
        if n == 0 { 0.0 } else { c as f64 / n as f64 }
    };
    let top = panels
        .iter()
        .flat_map(|p| p.counts.iter().map(move |&c| share(p, c)))
        .chain(panels.iter().map(|p| 1.0 / p.counts.len().max(1) as f64))
        .fold(0.0f64, f64::max)
        * 1.15;
    let mut svg = String::new();
    {
        let (w, h) = (340 * cols as u32 + 20, 260 * rows as u32 + 50);
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        drawn(root.fill(&WHITE))?;
        let root = drawn(root.titled(title, font(18)))?;
        for (area, (k, p)) in root
            .split_evenly((rows, cols))
            .iter()
            .zip(panels.iter().enumerate())
        {
            let n: usize = p.counts.iter().sum();
            let stats = match (p.calibration_error, p.p_value) {
                (Some(e), Some(pv)) => format!("n = {n}, error {e:.3}, p = {pv:.3}"),
                _ => format!("n = {n}"),
            };
            let mut chart = drawn(
                ChartBuilder::on(area)
                    .caption(format!("{} ({stats})", p.method), font(13))
                    .margin(8)
                    .x_label_area_size(30)
                    .y_label_area_size(44)
                    .build_cartesian_2d(0.0..1.0, 0.0..top.max(0.01)),
            )?;
            drawn(
                chart
                    .configure_mesh()
                    .x_labels(6)
                    .y_labels(5)
                    .x_desc("PIT")
                    .y_desc("share")
                    .label_style(font(11))
                    .axis_desc_style(font(12))
                    .light_line_style(WHITE)
                    .draw(),
            )?;
            let colour = METHOD_COLOURS[k % METHOD_COLOURS.len()];
            let bins = p.counts.len().max(1) as f64;
            drawn(
                chart.draw_series(p.counts.iter().enumerate().map(|(b, &c)| {
                    Rectangle::new(
                        [(b as f64 / bins, 0.0), ((b + 1) as f64 / bins, share(p, c))],
                        colour.mix(0.7).filled(),
                    )
                })),
            )?;
            drawn(chart.draw_series(DashedLineSeries::new(
                [(0.0, 1.0 / bins), (1.0, 1.0 / bins)],
                6,
                4,
                BLACK.mix(0.6).stroke_width(1),
            )))?;
        }
        drawn(root.present())?;
    }
    Ok(svg)
}

/// A chart with `f64` axes on an SVG string.
type Plot<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
>;

/// The axes of a method chart: ranges, descriptions and, for whole-number x
/// values (horizons), how many labels.
struct Axes<'s> {
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
    x_desc: &'s str,
    y_desc: &'s str,
    whole_x_labels: Option<usize>,
}

/// The frame the method charts share on `root`: white background, title,
/// margins, the axes and their mesh (`y_label_area` pixels for y labels).
fn method_frame<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    y_label_area: u32,
    axes: Axes,
) -> Result<Plot<'a, 'b>, CliError> {
    fn whole(x: &f64) -> String {
        format!("{x:.0}")
    }
    drawn(root.fill(&WHITE))?;
    let mut chart = drawn(
        ChartBuilder::on(root)
            .caption(title, font(18))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(axes.x, axes.y),
    )?;
    let mut mesh = chart.configure_mesh();
    if let Some(n) = axes.whole_x_labels {
        mesh.x_labels(n).x_label_formatter(&whole);
    }
    mesh.x_desc(axes.x_desc)
        .y_desc(axes.y_desc)
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(WHITE);
    drawn(mesh.draw())?;
    Ok(chart)
}

/// One line with dots per method in the method palette, and the legend of
/// every series drawn (the reliability diagram's diagonal included).
fn method_lines<'a, 'b: 'a>(
    chart: &mut Plot<'a, 'b>,
    lines: Vec<(String, Vec<(f64, f64)>)>,
) -> Result<(), CliError> {
    for (k, (label, pts)) in lines.into_iter().enumerate() {
        let colour = METHOD_COLOURS[k % METHOD_COLOURS.len()];
        drawn(chart.draw_series(LineSeries::new(pts.clone(), colour.stroke_width(2))))?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 16, y)], colour.stroke_width(2)));
        drawn(chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 4, colour.filled()))))?;
    }
    legend(chart, 12)
}

/// The legend of every labelled series, upper left, in `size`-point text.
fn legend<'a, 'b: 'a>(chart: &mut Plot<'a, 'b>, size: u32) -> Result<(), CliError> {
    drawn(
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(font(size))
            .draw(),
    )
}

/// What an in-year chart of one indicator shows.
pub struct InYearInput<'a> {
    /// Title (names, target, P).
    pub title: String,
    /// This year's path: (month, year-to-date or level).
    pub this_year: Vec<(f64, f64)>,
    /// The seasonal path to the target: (month, target x mean share).
    pub seasonal: Vec<(f64, f64)>,
    /// Its band: (month, low, high), one standard deviation of the share.
    pub band: Vec<(f64, f64, f64)>,
    /// Past years' paths, drawn faint.
    pub past: Vec<Vec<(f64, f64)>>,
    /// The target.
    pub target: f64,
    /// The projected value of the year with its 95% interval.
    pub projected: Option<(f64, f64, f64)>,
    /// Label of the y axis (the unit).
    pub unit: &'a str,
}

/// The in-year chart: this year's cumulative path (or level) against the
/// seasonal path to the target, with its band, past years faint, and the
/// projection at December.
pub fn in_year_chart(input: &InYearInput) -> Result<String, CliError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (760, 520)).into_drawing_area();
        let values = input
            .this_year
            .iter()
            .map(|p| p.1)
            .chain(input.seasonal.iter().map(|p| p.1))
            .chain(input.band.iter().flat_map(|b| [b.1, b.2]))
            .chain(input.past.iter().flatten().map(|p| p.1))
            .chain(std::iter::once(input.target))
            .chain(input.projected.iter().flat_map(|p| [p.1, p.2]));
        let (y0, y1) = y_range(values);
        let axes = Axes {
            x: 0.5..12.5,
            y: y0.min(0.0)..y1,
            x_desc: "month",
            y_desc: input.unit,
            whole_x_labels: Some(12),
        };
        let mut chart = method_frame(&root, &input.title, 64, axes)?;
        for p in &input.past {
            drawn(chart.draw_series(LineSeries::new(p.clone(), PLAN_COLOUR.mix(0.25))))?;
        }
        if !input.band.is_empty() {
            let mut poly: Vec<(f64, f64)> = input.band.iter().map(|b| (b.0, b.1)).collect();
            poly.extend(input.band.iter().rev().map(|b| (b.0, b.2)));
            drawn(chart.draw_series(std::iter::once(Polygon::new(poly, FAN_COLOUR.mix(0.18)))))?;
        }
        if !input.seasonal.is_empty() {
            drawn(chart.draw_series(DashedLineSeries::new(
                input.seasonal.clone(),
                6,
                4,
                EXPECTED_COLOUR.stroke_width(2),
            )))?
            .label("seasonal path to the target (band: one sd of the share)")
            .legend(|(x, y)| {
                PathElement::new([(x, y), (x + 16, y)], EXPECTED_COLOUR.stroke_width(2))
            });
        }
        drawn(chart.draw_series(LineSeries::new(
            [(0.5, input.target), (12.5, input.target)],
            TARGET_COLOUR.mix(0.7),
        )))?
        .label("target")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], TARGET_COLOUR));
        drawn(chart.draw_series(LineSeries::new(
            input.this_year.clone(),
            ACTUAL_COLOUR.stroke_width(2),
        )))?
        .label("this year")
        .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], ACTUAL_COLOUR.stroke_width(2)));
        drawn(
            chart.draw_series(
                input
                    .this_year
                    .iter()
                    .map(|&p| Circle::new(p, 3, ACTUAL_COLOUR.filled())),
            ),
        )?;
        if let Some((mid, lo, hi)) = input.projected {
            drawn(chart.draw_series(LineSeries::new(
                [(12.0, lo), (12.0, hi)],
                FAN_COLOUR.stroke_width(3),
            )))?
            .label("projected year, 95% interval")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 16, y)], FAN_COLOUR.stroke_width(3)));
            drawn(chart.draw_series(std::iter::once(Circle::new(
                (12.0, mid),
                5,
                FAN_COLOUR.filled(),
            ))))?;
        }
        legend(&mut chart, 12)?;
        drawn(root.present())?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_unique() {
        assert_eq!(sanitize("trade_total"), "trade_total");
        assert_eq!(sanitize("../etc/passwd"), "___etc_passwd");
        assert_eq!(sanitize("进出口"), "___");
        assert_eq!(sanitize(""), "_");
        assert_eq!(
            file_names("fan_", &["a b", "a_b", "A_B", "c"]),
            ["fan_a_b.svg", "fan_a_b-2.svg", "fan_A_B-3.svg", "fan_c.svg"]
        );
    }

    #[test]
    fn y_range_pads_and_survives_nothing_finite() {
        assert_eq!(y_range([f64::NAN]), (0.0, 1.0));
        let (lo, hi) = y_range([0.0, 100.0]);
        assert!((lo + 8.0).abs() < 1e-12 && (hi - 108.0).abs() < 1e-12);
        let (lo, hi) = y_range([5.0, 5.0]);
        assert!(lo < 5.0 && hi > 5.0);
    }
}
