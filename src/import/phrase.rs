//! Target phrases: the text of one cell of a plan table ("累计完成100亿美元",
//! "7左右", "<5.5") read as what it promises. Pure functions of the text and
//! the row's unit; the table reader ([`super::table`]) turns a [`Phrase`]
//! into a [`crate::Target`] with the row's base and direction.
//!
//! A phrase is read whole or not at all: any text left over after the
//! grammar below is an error saying why, never a guess.

use crate::plan::target::Milestone;

/// How a number in a phrase is bounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// A plain number: the direction follows the indicator.
    Plain,
    /// "X以上", "不低于X", ">X", "≥X".
    AtLeast,
    /// "X以内", "X以下", "<X", "≤X", "控制在X".
    AtMost,
    /// "X左右".
    About,
}

/// What one cell of a plan table says.
#[derive(Debug, Clone, PartialEq)]
pub enum Phrase {
    /// "—", "-", "/" or a blank cell: no value.
    NoValue,
    /// A level in the target year (or a number in the base or growth column).
    Level {
        /// The number.
        value: f64,
        /// How it is bounded.
        bound: Bound,
    },
    /// "累计完成X", "累计X", `[X]` (where the table says brackets are
    /// five-year totals): a total, or a change, over the plan years.
    Cumulative {
        /// The total.
        total: f64,
        /// How it is bounded.
        bound: Bound,
    },
    /// "每年新增X", "每年X": a yearly flow.
    EveryYear {
        /// The yearly value.
        value: f64,
        /// How it is bounded.
        bound: Bound,
    },
    /// "年均增长X": average annual growth, percent.
    Growth {
        /// The rate, percent.
        pct: f64,
        /// How it is bounded.
        bound: Bound,
    },
    /// "倍增", "翻一番" (2), "翻两番" (4), "X倍": a multiple of the base;
    /// "是2019年的6.52倍": of a reference year's value, which the table
    /// does not print (an overlay row gives it as `of_value`).
    Multiple {
        /// The factor.
        factor: f64,
        /// The reference year, where it is not the base year.
        of_year: Option<i32>,
    },
    /// "提高X个百分点": the base plus X points.
    PointsUp {
        /// The points.
        points: f64,
    },
    /// "下降X%", "降低X%": at most the base times `1 - X/100`.
    Decrease {
        /// The cut, percent.
        pct: f64,
    },
    /// "2021年底70%，2022年底90%，2023年100%": dated steps.
    Milestones(Vec<Milestone>),
    /// "X-Y", "X至Y": met at X, stretch at Y.
    Range {
        /// Where it is met.
        low: f64,
        /// The stretch.
        high: f64,
    },
    /// "高于GDP增长" (at least), "与GDP增长基本同步" (about equal): growth
    /// relative to the series named.
    Relative {
        /// The series as printed ("GDP", "经济增长").
        series: String,
        /// Whether it is "about equal" rather than "at least".
        about: bool,
    },
}

/// Reads `text`, a cell of a row whose unit (from the brackets of its name)
/// is `unit`. A unit written after the number must be the row's (or `%`).
/// `brackets_cumulative`: the table notes that "[ ]" holds five-year totals;
/// without that note a bracketed number is refused, not guessed.
///
/// The error is why the text cannot be read, to follow "cell ... ".
pub fn parse(text: &str, unit: &str, brackets_cumulative: bool) -> Result<Phrase, String> {
    let t = normalise(text);
    if t.is_empty() || ["—", "——", "-", "--", "/", "－", "…"].contains(&t.as_str()) {
        return Ok(Phrase::NoValue);
    }
    if let Some(p) = milestones(&t)? {
        return Ok(p);
    }
    if let Some(inner) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        if !brackets_cumulative {
            return Err(
                "is bracketed, but the table has no note that \"[ ]\" holds five-year totals"
                    .into(),
            );
        }
        let (value, bound) = bounded(inner, unit)?;
        return Ok(Phrase::Cumulative {
            total: value,
            bound,
        });
    }
    if let Some(p) = relative(&t) {
        return Ok(p);
    }
    for (words, factor) in [
        ("倍增", 2.0),
        ("实现倍增", 2.0),
        ("翻一番", 2.0),
        ("翻番", 2.0),
        ("翻两番", 4.0),
    ] {
        if t == words {
            return Ok(Phrase::Multiple {
                factor,
                of_year: None,
            });
        }
    }
    if let Some(rest) = t.strip_suffix('倍') {
        let rest = ["达到", "是", "为"]
            .iter()
            .find_map(|p| rest.strip_prefix(p))
            .unwrap_or(rest);
        // "2019年的6.52": a reference year's value times 6.52.
        let (of_year, rest) = match rest.split_once("年的") {
            Some((year, factor)) => {
                let year = year
                    .parse::<i32>()
                    .map_err(|_| format!("has \"{year}\" before 年的, not a year"))?;
                (Some(year), factor)
            }
            None => (None, rest),
        };
        let factor =
            number(rest).ok_or_else(|| format!("has \"{rest}\" before 倍, not a number"))?;
        return Ok(Phrase::Multiple { factor, of_year });
    }
    if let Some(rest) = t.strip_prefix("提高") {
        if let Some(n) = rest
            .strip_suffix("个百分点")
            .or_else(|| rest.strip_suffix("百分点"))
        {
            let points = number(n).ok_or_else(|| format!("has \"{n}\" as points, not a number"))?;
            return Ok(Phrase::PointsUp { points });
        }
        return Err("says 提高 (raise) without \"X个百分点\" (X points)".into());
    }
    for prefix in ["下降", "降低", "减少"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let n = rest
                .strip_suffix('%')
                .ok_or_else(|| format!("says {prefix} (cut) without a percentage \"X%\""))?;
            let pct = number(n).ok_or_else(|| format!("has \"{n}\" as a cut, not a number"))?;
            if !(0.0..100.0).contains(&pct) {
                return Err(format!("cuts by {pct}%, which must be in [0, 100)"));
            }
            return Ok(Phrase::Decrease { pct });
        }
    }
    for prefix in ["累计完成", "累计新增", "累计"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let (total, bound) = bounded(rest, unit)?;
            return Ok(Phrase::Cumulative { total, bound });
        }
    }
    for prefix in ["每年新增", "每年"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let (value, bound) = bounded(rest, unit)?;
            return Ok(Phrase::EveryYear { value, bound });
        }
    }
    for prefix in ["年均增长", "年均"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let (pct, bound) = bounded(rest, "%")?;
            return Ok(Phrase::Growth { pct, bound });
        }
    }
    if let Some(p) = range(&t, unit)? {
        return Ok(p);
    }
    let (value, bound) = bounded(&t, unit)?;
    Ok(Phrase::Level { value, bound })
}

/// The text with full-width forms made ASCII, whitespace removed and
/// thousands separators dropped: tables mix "８４００", "8,400" and "8400".
pub fn normalise(text: &str) -> String {
    let mapped: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '．' => '.',
            '％' => '%',
            '＞' => '>',
            '＜' => '<',
            '［' | '【' | '〔' => '[',
            '］' | '】' | '〕' => ']',
            '（' => '(',
            '）' => ')',
            '～' | '〜' => '~',
            '＋' => '+',
            '，' | '、' | '；' | ';' => '，',
            c => c,
        })
        .collect();
    // "8,400": a comma between digits groups thousands.
    let chars: Vec<char> = mapped.chars().collect();
    let mut out = String::with_capacity(mapped.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && i + 1 < chars.len()
            && chars[i - 1].is_ascii_digit()
            && chars[i + 1].is_ascii_digit();
        if c == ',' && between_digits {
            continue;
        }
        out.push(c);
    }
    out
}

/// A decimal number, nothing else ("12", "283.1", "-3"); `None` otherwise.
pub fn number(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+')))
        && s.chars().any(|c| c.is_ascii_digit());
    if !ok {
        return None;
    }
    s.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A number with its bound words and an optional unit: "15以上", "≥15",
/// "不低于15%", "控制在5.5以内", "100亿美元", "7左右".
fn bounded(s: &str, unit: &str) -> Result<(f64, Bound), String> {
    let mut rest = s;
    let mut bound = Bound::Plain;
    let set = |b: Bound, bound: &mut Bound| -> Result<(), String> {
        if *bound != Bound::Plain && *bound != b {
            return Err("says two bounds at once".into());
        }
        *bound = b;
        Ok(())
    };
    for (prefix, b) in [
        ("不低于", Bound::AtLeast),
        ("不少于", Bound::AtLeast),
        ("大于等于", Bound::AtLeast),
        ("大于", Bound::AtLeast),
        ("超过", Bound::AtLeast),
        (">=", Bound::AtLeast),
        ("≥", Bound::AtLeast),
        (">", Bound::AtLeast),
        ("不高于", Bound::AtMost),
        ("不超过", Bound::AtMost),
        ("控制在", Bound::AtMost),
        ("小于等于", Bound::AtMost),
        ("小于", Bound::AtMost),
        ("低于", Bound::AtMost),
        ("<=", Bound::AtMost),
        ("≤", Bound::AtMost),
        ("<", Bound::AtMost),
        ("约", Bound::About),
        ("~", Bound::About),
        ("≈", Bound::About),
    ] {
        if let Some(r) = rest.strip_prefix(prefix) {
            set(b, &mut bound)?;
            rest = r;
            break;
        }
    }
    rest = rest.strip_prefix("达到").unwrap_or(rest);
    for (suffix, b) in [
        ("以上", Bound::AtLeast),
        ("及以上", Bound::AtLeast),
        ("以内", Bound::AtMost),
        ("以下", Bound::AtMost),
        ("及以下", Bound::AtMost),
        ("左右", Bound::About),
    ] {
        if let Some(r) = rest.strip_suffix(suffix) {
            set(b, &mut bound)?;
            rest = r.strip_suffix('及').unwrap_or(r);
            break;
        }
    }
    let digits_end = rest
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && (c == '-' || c == '+'))))
        .map_or(rest.len(), |(i, _)| i);
    let (num, tail) = rest.split_at(digits_end);
    let value = number(num).ok_or_else(|| {
        if s.chars().any(|c| c.is_ascii_digit()) {
            "is not a phrase with one number the importer knows".to_string()
        } else {
            "has no number".to_string()
        }
    })?;
    if !tail.is_empty() && tail != unit && !(tail == "%" && unit_is_percent(unit)) {
        let unit_said = if unit.is_empty() {
            "the row has no unit in its name".to_string()
        } else {
            format!("the row's unit is \"{unit}\"")
        };
        return Err(format!("has \"{tail}\" after the number; {unit_said}"));
    }
    Ok((value, bound))
}

fn unit_is_percent(unit: &str) -> bool {
    unit.is_empty() || unit == "%" || unit == "个百分点"
}

/// "X-Y", "X~Y", "X至Y", "X—Y" with X < Y.
fn range(t: &str, unit: &str) -> Result<Option<Phrase>, String> {
    for sep in ["至", "~", "—", "-", "－", "到"] {
        // A leading minus is a sign, not a separator.
        let Some(at) = t.get(1..).and_then(|s| s.find(sep)).map(|i| i + 1) else {
            continue;
        };
        let (a, b) = (&t[..at], &t[at + sep.len()..]);
        let Some(low) = number(a.trim_end_matches(unit).trim_end_matches('%')) else {
            continue;
        };
        let (high, bound) = bounded(b, unit)?;
        if bound != Bound::Plain {
            return Err("bounds a range, which holds its own bounds".into());
        }
        if low >= high {
            return Err(format!("is a range from {low} to {high}, which must rise"));
        }
        return Ok(Some(Phrase::Range { low, high }));
    }
    Ok(None)
}

/// "高于GDP增长", "快于经济增长", "与GDP增长基本同步", "与经济增长同步".
fn relative(t: &str) -> Option<Phrase> {
    for prefix in ["高于", "快于", "不低于"] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let series = rest
                .strip_suffix("增长")
                .or_else(|| rest.strip_suffix("增速"))?;
            if !series.is_empty() && number(series).is_none() {
                return Some(Phrase::Relative {
                    series: series.to_string(),
                    about: false,
                });
            }
        }
    }
    let rest = t.strip_prefix('与')?;
    let series = [
        "增长基本同步",
        "增长同步",
        "增速基本同步",
        "增速同步",
        "基本同步",
        "同步",
    ]
    .iter()
    .find_map(|s| rest.strip_suffix(s))?;
    (!series.is_empty()).then(|| Phrase::Relative {
        series: series.to_string(),
        about: true,
    })
}

/// "2021年底70%，2022年底90%，2023年100%": `None` when the text names no
/// year; an error when it does but a step is not "YYYY年(底)V".
fn milestones(t: &str) -> Result<Option<Phrase>, String> {
    let starts_with_year = |s: &str| {
        s.len() > 5 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) && s[4..].starts_with('年')
    };
    if !starts_with_year(t) {
        return Ok(None);
    }
    let mut points = Vec::new();
    for step in t.split('，').filter(|s| !s.is_empty()) {
        if !starts_with_year(step) {
            return Err(format!("has step \"{step}\", not \"YYYY年 value\""));
        }
        let year: i32 = step[..4]
            .parse()
            .map_err(|_| format!("has step \"{step}\" with an unreadable year"))?;
        let rest = &step[4 + '年'.len_utf8()..];
        let rest = ["年底", "底", "末", "前"]
            .iter()
            .find_map(|p| rest.strip_prefix(&p[..]))
            .unwrap_or(rest);
        let rest = rest.strip_prefix("达到").unwrap_or(rest);
        let v = rest.strip_suffix('%').unwrap_or(rest);
        let value = number(v)
            .ok_or_else(|| format!("has step \"{step}\" without a number after the year"))?;
        points.push(Milestone { year, value });
    }
    Ok(Some(Phrase::Milestones(points)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str, unit: &str) -> Phrase {
        parse(text, unit, true).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn lvl(value: f64, bound: Bound) -> Phrase {
        Phrase::Level { value, bound }
    }

    #[test]
    fn a_multiple_of_a_reference_year_keeps_its_year() {
        for t in ["是2019年的6.52倍", "为2019年的6.52倍", "达到2019年的6.52倍"] {
            assert_eq!(
                p(t, "亿元"),
                Phrase::Multiple {
                    factor: 6.52,
                    of_year: Some(2019)
                },
                "{t}"
            );
        }
        assert!(parse("是挂牌前的6.52倍", "亿元", true).is_err());
    }

    #[test]
    fn plain_numbers_are_levels() {
        assert_eq!(p("8400", "亿元"), lvl(8400.0, Bound::Plain));
        assert_eq!(p("283.1", "亿元"), lvl(283.1, Bound::Plain));
        assert_eq!(p("８,４００", "亿元"), lvl(8400.0, Bound::Plain));
        assert_eq!(p(" 15 ", "%"), lvl(15.0, Bound::Plain));
    }

    #[test]
    fn at_least_phrases() {
        for t in [
            "15以上",
            "不低于15",
            ">15",
            "≥15",
            "＞15",
            "15%以上",
            "不少于15",
        ] {
            assert_eq!(p(t, "%"), lvl(15.0, Bound::AtLeast), "{t}");
        }
        assert_eq!(p(">6.5", "%"), lvl(6.5, Bound::AtLeast));
    }

    #[test]
    fn at_most_phrases() {
        for t in [
            "5.5以内",
            "5.5以下",
            "<5.5",
            "≤5.5",
            "控制在5.5",
            "控制在5.5%以内",
        ] {
            assert_eq!(p(t, "%"), lvl(5.5, Bound::AtMost), "{t}");
        }
    }

    #[test]
    fn about_phrases() {
        assert_eq!(p("7左右", "%"), lvl(7.0, Bound::About));
        assert_eq!(p("22800左右", "亿元"), lvl(22800.0, Bound::About));
    }

    #[test]
    fn cumulative_phrases_and_brackets() {
        let c = |total| Phrase::Cumulative {
            total,
            bound: Bound::Plain,
        };
        assert_eq!(p("累计完成100亿美元", "亿美元"), c(100.0));
        assert_eq!(p("累计150", "亿美元"), c(150.0));
        assert_eq!(p("[13.5]", "%"), c(13.5));
        assert_eq!(p("［18］", "%"), c(18.0));
        // Without the table's note, brackets are not read as totals.
        assert!(parse("[13.5]", "%", false).unwrap_err().contains("no note"));
    }

    #[test]
    fn every_year_phrases() {
        let e = |value| Phrase::EveryYear {
            value,
            bound: Bound::Plain,
        };
        assert_eq!(p("每年新增100个", "个"), e(100.0));
        assert_eq!(p("每年100", "个"), e(100.0));
    }

    #[test]
    fn growth_phrases() {
        assert_eq!(
            p("年均增长7%", "亿元"),
            Phrase::Growth {
                pct: 7.0,
                bound: Bound::Plain
            }
        );
        assert_eq!(
            p("年均增长6.5%以上", "亿元"),
            Phrase::Growth {
                pct: 6.5,
                bound: Bound::AtLeast
            }
        );
    }

    #[test]
    fn multiples() {
        for (t, f) in [
            ("倍增", 2.0),
            ("翻一番", 2.0),
            ("翻两番", 4.0),
            ("1.5倍", 1.5),
        ] {
            assert_eq!(
                p(t, "亿元"),
                Phrase::Multiple {
                    factor: f,
                    of_year: None
                },
                "{t}"
            );
        }
    }

    #[test]
    fn points_and_cuts() {
        assert_eq!(p("提高2个百分点", "%"), Phrase::PointsUp { points: 2.0 });
        assert_eq!(p("下降13.5%", "%"), Phrase::Decrease { pct: 13.5 });
        assert_eq!(p("降低18%", "%"), Phrase::Decrease { pct: 18.0 });
        assert!(parse("下降很多", "%", false).is_err());
        assert!(parse("提高", "%", false).is_err());
    }

    #[test]
    fn milestones_as_printed() {
        assert_eq!(
            p("2021年底70%，2022年底90%，2023年100%", "%"),
            Phrase::Milestones(vec![
                Milestone {
                    year: 2021,
                    value: 70.0
                },
                Milestone {
                    year: 2022,
                    value: 90.0
                },
                Milestone {
                    year: 2023,
                    value: 100.0
                },
            ])
        );
        assert!(parse("2021年底七成", "%", false).is_err());
    }

    #[test]
    fn ranges() {
        let r = |low, high| Phrase::Range { low, high };
        assert_eq!(p("5-10", "家"), r(5.0, 10.0));
        assert_eq!(p("5至10", "家"), r(5.0, 10.0));
        assert_eq!(p("5~10家", "家"), r(5.0, 10.0));
        assert!(
            parse("10-5", "家", false)
                .unwrap_err()
                .contains("must rise")
        );
        // A sign is not a range.
        assert_eq!(p("-3", "%"), lvl(-3.0, Bound::Plain));
    }

    #[test]
    fn relative_growth() {
        assert_eq!(
            p("高于GDP增长", "%"),
            Phrase::Relative {
                series: "GDP".into(),
                about: false
            }
        );
        assert_eq!(
            p("与GDP增长基本同步", "%"),
            Phrase::Relative {
                series: "GDP".into(),
                about: true
            }
        );
        assert_eq!(
            p("与经济增长同步", "%"),
            Phrase::Relative {
                series: "经济".into(),
                about: true
            }
        );
    }

    #[test]
    fn no_value() {
        for t in ["", " ", "—", "-", "/", "——"] {
            assert_eq!(p(t, "%"), Phrase::NoValue, "{t:?}");
        }
    }

    #[test]
    fn unreadable_phrases_say_why() {
        let e = |t: &str| parse(t, "亿元", false).unwrap_err();
        assert!(e("保持在合理区间").contains("has no number"));
        assert!(e("100亿美元").contains("unit is \"亿元\""));
        assert!(e("十四五").contains("no number"));
        assert!(e("15以上以内").contains("\"以上\" after the number"));
        assert!(e(">15以内").contains("two bounds"));
        assert!(e("1e5").contains("\"e5\" after the number"));
        assert!(e("1.2.3").contains("not a phrase"));
    }
}
