//! `attain calibrate`: a scenario calibrated on history, written as a
//! commented TOML file that `attain simulate --scenario` reads unchanged.
//!
//! The scenario's fields are the models (one `marginals` model per series:
//! its predictive by horizon) and the correlation; the comments carry what
//! the scenario does not hold: the data, the parameters with their standard
//! errors and sample lengths, the pooling, the shrinkage and the
//! recalibration.

use std::fmt::Write as _;

use attain::calibration::HistoryScenario;
use attain::forecast::calibrated::Calibrated;
use attain::simulate::model::Marginals;

use super::{calibrate_history, load_plan, refuse_overwrite};
use crate::args::CalibrateArgs;
use crate::error::{CliError, write_file};

/// Runs `attain calibrate`.
pub fn run(a: &CalibrateArgs) -> Result<(), CliError> {
    refuse_overwrite(
        &[("--out", a.out.as_deref())],
        &[Some(&a.history), a.plan.as_deref()],
    )?;
    let plan = a.plan.as_deref().map(load_plan).transpose()?;
    let as_of = match (a.as_of, &plan) {
        (Some(y), _) => y,
        (None, Some(p)) => p.base_year,
        // Every year: the history's last one.
        (None, None) => i32::MAX,
    };
    let h = calibrate_history(&a.history, plan.as_ref(), as_of)?;
    let file = a.history.display().to_string();
    let plan_name = match (&a.plan, &plan) {
        (Some(path), Some(p)) => Some(format!("{} ({})", path.display(), p.name)),
        _ => None,
    };
    let text = scenario_toml(&h, &file, plan_name.as_deref());
    for n in super::calibration_notes(&h) {
        eprintln!("attain: warning: {n}");
    }
    match &a.out {
        Some(path) => write_file(path, &text),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// A TOML string literal.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML key: bare where it can be, quoted otherwise.
fn key(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// A number as TOML reads it back to the bit.
fn num(v: f64) -> String {
    format!("{v:?}")
}

/// Percent with two decimals, for comments.
fn pct(v: f64) -> String {
    format!("{:.2}%", 100.0 * v)
}

/// The commented scenario.
pub fn scenario_toml(h: &HistoryScenario, file: &str, plan: Option<&str>) -> String {
    let mut s = String::new();
    let source = h.source(file);
    let _ = writeln!(
        s,
        "# A scenario calibrated on {source} by `attain calibrate` (attain {}).",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        s,
        "# Values dated up to {} were used{}.",
        h.as_of.min(h.panel.last_year),
        plan.map_or(String::new(), |p| format!("; plan {p}"))
    );
    let _ = writeln!(
        s,
        "# `attain simulate PLAN --scenario THIS_FILE` reads it as it is. The comments\n\
         # carry what the scenario does not hold; the models and the correlation are\n\
         # its fields."
    );
    let _ = writeln!(s, "#");
    let _ = writeln!(
        s,
        "# Model: calibrated ({:?}), fitted on all {} series of the file at once\n\
         # (the pool), then each series' predictive at its last origin. A series'\n\
         # `marginals` model has that predictive's log change by horizon: its\n\
         # growth_pct is the pooled drift, and horizon h's mixture (with\n\
         # probability weight, N(mu, sigma^2)) is the rest of ln(x_h / x_0).",
        Calibrated::default(),
        h.panel.series
    );
    if !h.peers.is_empty() {
        let _ = writeln!(
            s,
            "# Peers (in the pool, not in the plan): {}.",
            h.peers.join(", ")
        );
    }
    if !h.uncalibrated.is_empty() {
        let list: Vec<String> = h.uncalibrated.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            s,
            "# Not calibrated, so the plan-only default (the stated rate, the spread of\n\
             # the stored reference class): {}.",
            list.join(", ")
        );
    }
    if let Some(p) = h.series.first().map(|c| &c.params) {
        let _ = writeln!(s, "#\n# What the panel learned by {}:", p.year);
        match &p.pool {
            Some(pool) => {
                let _ = writeln!(
                    s,
                    "#   pool of {} series: drift mean {:.4} a year (between-series sd {:.4}),\n\
                     #   log variance mean {:.3} (between-series sd {:.3})",
                    pool.series,
                    pool.drift_mean,
                    pool.drift_tau2.sqrt(),
                    pool.log_var_mean,
                    pool.log_var_tau2.sqrt()
                );
            }
            None => {
                let _ = writeln!(s, "#   no pool (fewer than 3 series with history)");
            }
        }
        let _ = writeln!(
            s,
            "#   persistence of growth (AR(1), pooled): {:.3} in use, {:.3} estimated (kept only where\n\
             #   its past forecasts scored better than without it)",
            p.phi, p.phi_fit
        );
        let _ = writeln!(
            s,
            "#   wandering drift (local level): yearly step variance {} x the growth variance\n\
             #   (chosen by the panel's likelihood; 0 = a fixed drift; when kept, no AR(1))",
            p.wander
        );
        match &p.shocks {
            Some(sh) => {
                let _ = writeln!(
                    s,
                    "#   shocks: probability {:.3} a year, variance x{:.2} (calm years x{:.2}), from {} residuals",
                    sh.prob, sh.shock, sh.calm, sh.residuals
                );
            }
            None => {
                let _ = writeln!(s, "#   shocks: none supported by the data");
            }
        }
        let _ = writeln!(
            s,
            "#   recalibration of the spread from past errors, by horizon (IG shape,\n\
             #   scale; mean factor on the variance = scale / (shape - 1); kurtosis);\n\
             #   a horizon whose errors have no outcome yet keeps its prior, the factor\n\
             #   of the horizon before times (h / (h - 1))^{}; and the spread skill:\n\
             #   a raw variance v is taken as v (v / ref)^slope, ref the geometric\n\
             #   mean raw variance of the past errors:",
            Calibrated::default().horizon_power
        );
        for (k, ((shape, scale), kurt)) in p.recalibration.iter().zip(&p.kurtosis).enumerate() {
            let skill = p.spread_skill.get(k).copied().unwrap_or_default();
            let _ = writeln!(
                s,
                "#     h {:>2}: shape {shape:.2}, scale {scale:.2}, factor {:.3}, kurtosis {kurt:.2}, \
                 slope {:+.2} (ref {:.3e})",
                k + 1,
                scale / (shape - 1.0).max(1e-9),
                skill.slope,
                skill.log_ref.exp()
            );
        }
    }
    let _ = writeln!(
        s,
        "\nname = \"calibrated\"\npaths = {}\nseed = {}",
        h.scenario.paths, h.scenario.seed
    );
    for c in &h.series {
        let p = &c.params;
        let q = &p.pooled;
        let first = p.year - p.values as i64 + 1;
        let _ = writeln!(s, "\n# {}", c.id);
        let _ = writeln!(
            s,
            "#   sample: {} values, {first}-{}{}",
            p.values,
            p.year,
            if c.filled > 0 {
                format!(
                    ", {} of them filled into gaps (they give the drift, not the volatility)",
                    c.filled
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "#   drift {:.4} a year (se {:.4}) = {} median growth; own estimate's weight {:.2}",
            q.drift,
            p.drift_se(),
            pct(q.drift.exp_m1()),
            q.drift_weight
        );
        let _ = writeln!(
            s,
            "#   growth sd {:.4} (variance {:.6}); own estimate's weight {:.2}; last growth - drift {:+.4}",
            q.var.sqrt(),
            q.var,
            q.var_weight,
            p.deviation
        );
        let _ = writeln!(
            s,
            "#   log variance's posterior variance {:.3}: the model's variance is {:.2} times the estimate (its posterior mean)",
            q.log_var_var,
            (0.5 * q.log_var_var).exp()
        );
        let _ = writeln!(s, "[models.{}]", key(&c.id));
        let _ = writeln!(s, "model = \"marginals\"");
        let _ = writeln!(s, "growth_pct = {}", num(c.model.growth_pct()));
        let _ = writeln!(s, "horizons = [");
        write_horizons(&mut s, &c.model);
        let _ = writeln!(s, "]");
    }
    if let (Some(fit), Some(spec)) = (&h.correlation, &h.scenario.correlation) {
        let _ = writeln!(
            s,
            "\n# Correlation of the observed log growths ({} common years; growths that\n\
             # touch a filled year are not observations), shrunk toward the identity\n\
             # with intensity {:.3} ({:?}{}).",
            fit.n_years,
            fit.intensity,
            fit.rule,
            fit.optimal_intensity
                .map_or(String::new(), |o| format!(", optimal {o:.3}"))
        );
        let _ = writeln!(s, "# Sample correlation before shrinkage:");
        for (id, row) in fit.sample.ids.iter().zip(&fit.sample.rows) {
            let cells: Vec<String> = row.iter().map(|v| format!("{v:+.3}")).collect();
            let _ = writeln!(s, "#   {id}: {}", cells.join(" "));
        }
        let ids: Vec<String> = spec.ids.iter().map(|i| quoted(i)).collect();
        let _ = writeln!(s, "[correlation]\nids = [{}]\nrows = [", ids.join(", "));
        for row in &spec.rows {
            let cells: Vec<String> = row.iter().map(|v| num(*v)).collect();
            let _ = writeln!(s, "  [{}],", cells.join(", "));
        }
        let _ = writeln!(s, "]");
    }
    s
}

/// A model's mixtures, one horizon a line with its median and 80% interval
/// (of the log change, the growth included) as a comment.
fn write_horizons(s: &mut String, m: &Marginals) {
    for (k, cs) in m.horizons().iter().enumerate() {
        let h = k + 1;
        let _ = writeln!(
            s,
            "  # h {h}: median {:+.4}, 80% interval {:+.4} to {:+.4} (log change)",
            m.log_change_quantile(h, 0.5),
            m.log_change_quantile(h, 0.1),
            m.log_change_quantile(h, 0.9)
        );
        let parts: Vec<String> = cs
            .iter()
            .map(|c| {
                format!(
                    "{{ weight = {}, mu = {}, sigma = {} }}",
                    num(c.weight),
                    num(c.mu),
                    num(c.sigma)
                )
            })
            .collect();
        let _ = writeln!(s, "  [{}],", parts.join(", "));
    }
}
