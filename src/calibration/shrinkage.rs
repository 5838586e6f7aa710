//! The correlation of log growth across series, shrunk toward the identity.

use serde::{Deserialize, Serialize};

use super::{
    BTreeMap, BTreeSet, Correlation, CorrelationRows, DMatrix, History, MIN_SHRINK_YEARS, Repair,
    SHRINK_FLOOR,
};
use crate::error::{Error, Problem, Result};

/// How a shrunk correlation's intensity was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShrinkageRule {
    /// The optimal intensity for the correlation matrix of standardized series
    /// toward the identity (Schäfer and Strimmer 2005, target D; it is not
    /// sklearn's `LedoitWolf`, which shrinks the covariance), at least
    /// [`SHRINK_FLOOR`]. Files written before the rename say `ledoit_wolf`.
    #[serde(alias = "ledoit_wolf")]
    SchaferStrimmerD,
    /// Fewer than [`MIN_SHRINK_YEARS`] years: fixed weight `p / (p + T)` on the
    /// identity for `p` series and `T` years, at least [`SHRINK_FLOOR`].
    FixedWeight,
    /// Fewer than two years: no correlation can be estimated; the identity.
    Identity,
}

/// A correlation of log growth estimated from co-moving histories.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationFit {
    /// The shrunk correlation, always valid and positive definite.
    pub correlation: Correlation,
    /// The sample correlation before shrinkage (zero off the diagonal for a
    /// series that does not vary).
    pub sample: CorrelationRows,
    /// Aligned years used (empty when given a bare matrix).
    pub years: Vec<i32>,
    /// Number of aligned years.
    pub n_years: usize,
    /// Weight on the identity, in `[SHRINK_FLOOR, 1]`.
    pub intensity: f64,
    /// The Schäfer-Strimmer optimal intensity before the floor, when computed.
    pub optimal_intensity: Option<f64>,
    /// How the intensity was chosen.
    pub rule: ShrinkageRule,
    /// A repair to the nearest correlation matrix, if rounding made one
    /// necessary (not expected).
    pub repair: Option<Repair>,
}

/// Correlation of log growth across histories, on the years where every series
/// has log growth (listwise: a year with a gap in any series is dropped, so the
/// sample matrix is a Gram matrix and positive semi-definite; pairwise deletion
/// would not guarantee that), shrunk toward the identity.
pub fn correlation(histories: &[History]) -> Result<CorrelationFit> {
    let mut seen = BTreeSet::new();
    for h in histories {
        if !seen.insert(h.id.as_str()) {
            return Err(Error::indicator(
                &h.id,
                "id",
                "appears twice among the histories",
            ));
        }
    }
    let growth: Vec<BTreeMap<i32, f64>> = histories
        .iter()
        .map(|h| h.log_growth().map(|g| g.into_iter().collect()))
        .collect::<Result<_>>()?;
    let years: Vec<i32> = match growth.first() {
        Some(first) => first
            .keys()
            .copied()
            .filter(|y| growth.iter().all(|g| g.contains_key(y)))
            .collect(),
        None => Vec::new(),
    };
    let data = DMatrix::from_fn(years.len(), growth.len(), |t, i| growth[i][&years[t]]);
    let ids = histories.iter().map(|h| h.id.clone()).collect();
    let mut fit = shrink_correlation(ids, &data)?;
    fit.years = years;
    Ok(fit)
}

/// Shrunk correlation of the columns of `data` (`T` years by `p` series,
/// aligned, finite): `(1 - w) R + w I` for the sample correlation `R` and the
/// intensity `w` of [`ShrinkageRule`]. Since `R` is positive semi-definite and
/// `w >= SHRINK_FLOOR`, the result's smallest eigenvalue is at least
/// `SHRINK_FLOOR`, whatever `T` and `p`.
pub fn shrink_correlation(ids: Vec<String>, data: &DMatrix<f64>) -> Result<CorrelationFit> {
    let (t, p) = (data.nrows(), data.ncols());
    if ids.len() != p {
        return Err(Error::parameter(
            "correlation",
            format!("{} ids for {p} series", ids.len()),
        ));
    }
    for i in 0..p {
        for s in 0..t {
            let v = data[(s, i)];
            if !v.is_finite() {
                return Err(Error::indicator(
                    &ids[i],
                    &format!("log_growth[{s}]"),
                    Problem::not_finite(v),
                ));
            }
        }
    }
    // Standardize: centre, divide by the largest deviation first (no overflow
    // for any finite input), then by the root sum of squares. A column that
    // does not vary stays zero and correlates with nothing.
    let mut x = DMatrix::<f64>::zeros(t, p);
    for i in 0..p {
        let col = data.column(i);
        let m = col.mean();
        let dev: Vec<f64> = col.iter().map(|v| v - m).collect();
        let big = dev.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        if big > 0.0 && t >= 2 {
            let ss: f64 = dev.iter().map(|v| (v / big).powi(2)).sum();
            // Unit variance with divisor t - 1.
            let scale = ((t as f64 - 1.0) / ss).sqrt() / big;
            for s in 0..t {
                x[(s, i)] = dev[s] * scale;
            }
        }
    }
    let tf = t as f64;
    let mut r = DMatrix::<f64>::identity(p, p);
    let (mut var_sum, mut r2_sum) = (0.0, 0.0);
    for i in 0..p {
        for j in i + 1..p {
            let w: Vec<f64> = (0..t).map(|s| x[(s, i)] * x[(s, j)]).collect();
            let wbar = if t > 0 {
                w.iter().sum::<f64>() / tf
            } else {
                0.0
            };
            let rij = if t >= 2 {
                (tf / (tf - 1.0) * wbar).clamp(-1.0, 1.0)
            } else {
                0.0
            };
            r[(i, j)] = rij;
            r[(j, i)] = rij;
            if t >= 2 {
                let v: f64 = w.iter().map(|wi| (wi - wbar).powi(2)).sum();
                var_sum += tf / (tf - 1.0).powi(3) * v;
            }
            r2_sum += rij * rij;
        }
    }
    let pf = p as f64;
    let (rule, optimal, intensity) = if t < 2 {
        (ShrinkageRule::Identity, None, 1.0)
    } else if t < MIN_SHRINK_YEARS {
        (
            ShrinkageRule::FixedWeight,
            None,
            (pf / (pf + tf)).max(SHRINK_FLOOR),
        )
    } else {
        let opt = if r2_sum > 0.0 {
            (var_sum / r2_sum).clamp(0.0, 1.0)
        } else {
            1.0
        };
        (
            ShrinkageRule::SchaferStrimmerD,
            Some(opt),
            opt.max(SHRINK_FLOOR),
        )
    };
    let shrunk = DMatrix::from_fn(p, p, |i, j| {
        if i == j {
            1.0
        } else {
            (1.0 - intensity) * r[(i, j)]
        }
    });
    let (correlation, repair) = match Correlation::new(ids.clone(), shrunk.clone()) {
        Ok(c) => (c, None),
        Err(_) => {
            let (c, rep) = Correlation::nearest(ids.clone(), shrunk)?;
            (c, Some(rep))
        }
    };
    Ok(CorrelationFit {
        correlation,
        sample: CorrelationRows {
            ids,
            rows: (0..p)
                .map(|i| (0..p).map(|j| r[(i, j)]).collect())
                .collect(),
        },
        years: Vec::new(),
        n_years: t,
        intensity,
        optimal_intensity: optimal,
        rule,
        repair,
    })
}
