//! The spread-skill correction: how the raw model's variances across series
//! and origins should be stretched or compressed, learned from its own past
//! errors.
//!
//! Where the raw model predicts a large variance, are its errors larger in
//! proportion? A regression of `ln z^2` (`z`: a past error standardized by
//! the raw predictive) on `ln v` (`v`: the raw predictive's variance) over
//! past errors answers it: a slope of 0 says the raw variances are right
//! relative to each other; a negative slope says they are too dispersed
//! (noisy volatility estimates, or misses that do not grow with a series'
//! own volatility, such as a drift that changes); a positive slope, not
//! dispersed enough. The predictive then takes the raw variance as `v (v /
//! ref)^slope`, `ln ref` the past errors' mean log variance, so the
//! recalibration's scale applies to a series of typical variance unchanged.
//!
//! On the real panels of README the slope at horizon 5 is negative on
//! every one (-0.1 to -1.7 without the correction). The regression on logs
//! is robust to the errors' tails: for any scale mixture the slope of `E ln
//! z^2` on `ln v` is the slope of the log scale, whatever the shape.
//!
//! Each horizon's slope is shrunk (ridge) toward the slope of every
//! horizon pooled, and that toward 0, each with a prior standard deviation
//! of [`PRIOR_SD`]: the residual variance of `ln z^2` for a normal `z` is
//! `pi^2 / 2`, so the ridge is `pi^2 / 2 / PRIOR_SD^2` errors' worth of
//! `ln v` variance.

use serde::{Deserialize, Serialize};

/// Prior standard deviation of a slope around the pooled one (and of the
/// pooled one around 0). Over the 55 calibration cells of eleven real
/// panels (README), ridges of 20 to 200 errors' worth (prior sds of 0.16
/// to 0.5) all brought the CRPS at horizon 5 relative to rw_drift from a
/// geometric mean of 0.951 to 0.915-0.917.
pub const PRIOR_SD: f64 = 0.3;

/// The range a slope is held to: at -1 the raw model's relative variances
/// would be discarded altogether.
pub const SLOPE_RANGE: (f64, f64) = (-0.9, 0.5);

/// Fewest (decayed) errors a horizon needs for its slope.
const MIN_WEIGHT: f64 = 2.0;

/// Floor on a squared standardized error before its log: an error of
/// exactly 0 would weigh without bound.
const Z2_FLOOR: f64 = 1e-6;

/// The correction at one horizon: the raw variance `v` is taken as `v (v /
/// exp(log_ref))^slope`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SpreadSkill {
    /// Slope of `ln z^2` on `ln v` over past errors, shrunk (0: none).
    pub slope: f64,
    /// Mean log raw variance of those errors.
    pub log_ref: f64,
}

impl SpreadSkill {
    /// No correction.
    pub const NONE: SpreadSkill = SpreadSkill {
        slope: 0.0,
        log_ref: 0.0,
    };

    /// Factor on a raw variance `var`: `(var / ref)^slope`.
    pub fn factor(&self, var: f64) -> f64 {
        if self.slope == 0.0 {
            return 1.0;
        }
        (self.slope * (var.max(f64::MIN_POSITIVE).ln() - self.log_ref)).exp()
    }
}

/// Weighted sums over errors of `x = ln v` and `y = ln z^2`: weight, `x`,
/// `x^2`, `y` and `xy`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(super) struct SkillSums {
    w: f64,
    x: f64,
    xx: f64,
    y: f64,
    xy: f64,
}

impl SkillSums {
    /// Adds one error: raw variance `var`, standardized error `z`.
    pub(super) fn push(&mut self, var: f64, z: f64) {
        let x = var.max(f64::MIN_POSITIVE).ln();
        let y = (z * z).max(Z2_FLOOR).ln();
        if x.is_finite() && y.is_finite() {
            self.w += 1.0;
            self.x += x;
            self.xx += x * x;
            self.y += y;
            self.xy += x * y;
        }
    }

    /// These sums times `decay`, plus `other`.
    pub(super) fn decayed_plus(&self, decay: f64, other: &SkillSums) -> SkillSums {
        SkillSums {
            w: decay * self.w + other.w,
            x: decay * self.x + other.x,
            xx: decay * self.xx + other.xx,
            y: decay * self.y + other.y,
            xy: decay * self.xy + other.xy,
        }
    }

    /// Centred cross products `(Sxx, Sxy)` and the mean `x`, where there
    /// are enough errors.
    fn centred(&self) -> Option<(f64, f64, f64)> {
        if self.w <= MIN_WEIGHT {
            return None;
        }
        let (mx, my) = (self.x / self.w, self.y / self.w);
        let sxx = (self.xx - self.w * mx * mx).max(0.0);
        Some((sxx, self.xy - self.w * mx * my, mx))
    }
}

/// The ridge: `pi^2 / 2` (the variance of `ln chi^2_1`) over the prior
/// variance of a slope.
fn ridge() -> f64 {
    std::f64::consts::PI.powi(2) / 2.0 / (PRIOR_SD * PRIOR_SD)
}

/// The correction by horizon from each horizon's sums: each slope shrunk
/// toward the pooled one, that toward 0, and held to [`SLOPE_RANGE`].
pub(super) fn fit(sums: &[SkillSums]) -> Vec<SpreadSkill> {
    let r = ridge();
    let centred: Vec<Option<(f64, f64, f64)>> = sums.iter().map(SkillSums::centred).collect();
    let (txx, txy) = centred
        .iter()
        .flatten()
        .fold((0.0, 0.0), |(a, b), (sxx, sxy, _)| (a + sxx, b + sxy));
    let pooled = txy / (txx + r);
    centred
        .iter()
        .map(|c| match c {
            Some((sxx, sxy, mx)) => SpreadSkill {
                slope: ((sxy + r * pooled) / (sxx + r)).clamp(SLOPE_RANGE.0, SLOPE_RANGE.1),
                log_ref: *mx,
            },
            None => SpreadSkill::NONE,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(points: &[(f64, f64)]) -> SkillSums {
        let mut s = SkillSums::default();
        for &(v, z) in points {
            s.push(v, z);
        }
        s
    }

    #[test]
    fn the_slope_is_the_shrunk_least_squares_slope() {
        // ln z^2 = 0.5 - 0.5 ln v exactly, over ln v in {-8, -6, -4, -2}.
        let pts: Vec<(f64, f64)> = [-8.0f64, -6.0, -4.0, -2.0]
            .iter()
            .map(|&lv| (lv.exp(), (0.5 * (0.5 - 0.5 * lv)).exp()))
            .collect();
        let s = sums(&pts);
        // Deviations from the mean -5 are -3, -1, 1, 3: Sxx = 20 and Sxy =
        // -0.5 Sxx.
        let (sxx, sxy, mx) = s.centred().unwrap();
        assert!((sxx - 20.0).abs() < 1e-9 && (sxy + 10.0).abs() < 1e-9 && (mx + 5.0).abs() < 1e-12);
        let r = ridge();
        assert!((r - 54.83).abs() < 0.01, "{r}");
        // One horizon: pooled = -10 / (20 + r), own = (-10 + r pooled) / (20 + r).
        let pooled = -10.0 / (20.0 + r);
        let own = (-10.0 + r * pooled) / (20.0 + r);
        let fit1 = fit(&[s]);
        assert!((fit1[0].slope - own).abs() < 1e-12, "{:?}", fit1);
        assert_eq!(fit1[0].log_ref, mx);
        // Many errors on the same line: the shrinkage vanishes.
        let many: Vec<(f64, f64)> = (0..4000).map(|i| pts[i % 4]).collect();
        let big = fit(&[sums(&many)]);
        assert!((big[0].slope + 0.5).abs() < 0.01, "{:?}", big);
        // At the reference variance the factor is 1; a variance e^2 times
        // larger is taken e^(2 slope) times as large.
        let k = big[0];
        assert!((k.factor(k.log_ref.exp()) - 1.0).abs() < 1e-12);
        let f = k.factor((k.log_ref + 2.0).exp());
        assert!((f - (2.0 * k.slope).exp()).abs() < 1e-12);
    }

    #[test]
    fn too_few_errors_or_no_spread_give_no_correction() {
        assert_eq!(fit(&[SkillSums::default()]), vec![SpreadSkill::NONE]);
        let two = sums(&[(0.01, 1.0), (0.02, 2.0)]);
        assert_eq!(fit(&[two])[0].slope, 0.0);
        // Every error at one variance: no slope to learn.
        let flat = sums(&[(0.01, 0.5), (0.01, 1.0), (0.01, 2.0), (0.01, 0.1)]);
        assert_eq!(fit(&[flat])[0].slope, 0.0);
        assert_eq!(SpreadSkill::NONE.factor(123.0), 1.0);
    }

    #[test]
    fn slopes_are_held_to_their_range_and_pooled_across_horizons() {
        // A steep slope of -3 with many errors is held at -0.9.
        let steep: Vec<(f64, f64)> = (0..4000)
            .map(|i| {
                let lv = -8.0 + (i % 5) as f64;
                (lv.exp(), (0.5 * (-3.0 * lv)).exp())
            })
            .collect();
        let k = fit(&[sums(&steep)]);
        assert_eq!(k[0].slope, SLOPE_RANGE.0);
        // A horizon without errors gets none; one with few errors is
        // pulled toward the slope of the horizon with many.
        let few = sums(&[(0.001, 1.0), (0.01, 1.0), (0.1, 1.0)]);
        let ks = fit(&[sums(&steep), few, SkillSums::default()]);
        assert!(ks[1].slope < -0.5, "{ks:?}");
        assert_eq!(ks[2], SpreadSkill::NONE);
        // Decay: the sums scale and add.
        let s = sums(&[(0.01, 1.0)]);
        let d = s.decayed_plus(0.5, &s);
        assert!((d.w - 1.5).abs() < 1e-15 && (d.x - 1.5 * 0.01f64.ln()).abs() < 1e-12);
    }
}
