//! The reference class behind the plan-only baseline: how far real annual
//! series move in one to ten years, as the calibrated model learns it on
//! real panels, stored in the crate as data with its provenance.
//!
//! Without history or a scenario, a series keeps the plan's stated rate as
//! its median path (a plan-consistent baseline) and takes its spread by
//! horizon from here: a [`Marginals`] model whose mixtures are the stored
//! ones, centred at 0. The stored file, `data/reference_class.toml`, is
//! written by `cargo run --release --example reference_class` (see
//! [`crate::calibration::reference_class`] for how the mixtures are chosen),
//! the one source of its numbers.

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::forecast::Component;
use crate::simulate::model::Marginals;

/// The command that writes the stored reference class.
pub const GENERATOR: &str = "cargo run --release --example reference_class";

/// The stored reference class, as shipped in `data/reference_class.toml`.
const STORED: &str = include_str!("../../data/reference_class.toml");

/// Largest distance of a stored mixture's median from 0 (it is centred).
const CENTRE_TOLERANCE: f64 = 1e-9;

/// One panel the reference class was learned on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelSource {
    /// The file, as named when the class was made (relative to the crate).
    pub file: String,
    /// Series in it.
    pub series: usize,
    /// First calendar year of its values.
    pub first_year: i32,
    /// Last calendar year of its values.
    pub last_year: i32,
}

/// How a reference class was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provenance {
    /// The forecasting model and its settings.
    pub method: String,
    /// How each horizon's mixture was chosen among the series.
    pub rule: String,
    /// The command that wrote it.
    pub generator: String,
    /// The `attain` version that wrote it.
    pub version: String,
    /// The panels it was learned on.
    pub panels: Vec<PanelSource>,
}

/// One horizon of a reference class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceHorizon {
    /// Years ahead (1 for the first).
    pub horizon: usize,
    /// The series whose predictive this is (`file:id`).
    pub series: String,
    /// Width of its central 80% interval of the log change.
    pub width80: f64,
    /// The mixture of the log change, centred at its median 0.
    pub components: Vec<Component>,
}

/// The spread of the log change by horizon that the plan-only baseline
/// assumes, with how it was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceClass {
    /// How it was made.
    pub provenance: Provenance,
    /// Per horizon `1..=H`, in order.
    pub horizons: Vec<ReferenceHorizon>,
}

impl ReferenceClass {
    /// The reference class the crate ships (`data/reference_class.toml`),
    /// parsed and checked once.
    pub fn stored() -> Result<&'static ReferenceClass> {
        static PARSED: OnceLock<Result<ReferenceClass>> = OnceLock::new();
        match PARSED.get_or_init(|| {
            ReferenceClass::from_toml_str(STORED)
                .map_err(|e| e.in_file("data/reference_class.toml"))
        }) {
            Ok(r) => Ok(r),
            Err(e) => Err(e.clone()),
        }
    }

    /// Parses and checks a reference class from TOML text.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let r: ReferenceClass = toml::from_str(text).map_err(Error::codec)?;
        r.validate()?;
        Ok(r)
    }

    /// Checks the horizons: numbered `1..=H` in order, each a valid
    /// mixture (as [`Marginals::new`] checks it) with its median at 0 and a
    /// positive finite `width80`.
    pub fn validate(&self) -> Result<()> {
        if self.horizons.is_empty() {
            return Err(Error::parameter("horizons", Problem::Empty));
        }
        for (k, h) in self.horizons.iter().enumerate() {
            let field = |f: &str| format!("horizons[{k}].{f}");
            if h.horizon != k + 1 {
                return Err(Error::parameter(
                    &field("horizon"),
                    format!("must be {} (in order from 1), got {}", k + 1, h.horizon),
                ));
            }
            if !(h.width80.is_finite() && h.width80 > 0.0) {
                return Err(Error::parameter(
                    &field("width80"),
                    Problem::out_of_range(h.width80, "finite and > 0"),
                ));
            }
        }
        let m = self.model(0.0)?;
        for (k, _) in self.horizons.iter().enumerate() {
            let median = m.log_change_quantile(k + 1, 0.5);
            if median.abs() > CENTRE_TOLERANCE {
                return Err(Error::parameter(
                    &format!("horizons[{k}].components"),
                    format!("must be centred at a median of 0, got {median}"),
                ));
            }
        }
        Ok(())
    }

    /// The plan-consistent baseline under the stored class (as
    /// [`ReferenceClass::model`] of [`ReferenceClass::stored`]); its
    /// quantile table is built once and shared by every such model.
    pub fn baseline(growth_pct: f64) -> Result<Marginals> {
        static PROTOTYPE: OnceLock<Result<Marginals>> = OnceLock::new();
        let prototype = PROTOTYPE.get_or_init(|| {
            let m = ReferenceClass::stored()?.model(0.0)?;
            m.tabulated();
            Ok(m)
        });
        match prototype {
            Ok(m) => m.with_growth_pct(growth_pct),
            Err(e) => Err(e.clone()),
        }
    }

    /// The plan-consistent baseline of a series planned to grow
    /// `growth_pct` a year: its median path grows at that rate, its spread
    /// by horizon is this class's.
    pub fn model(&self, growth_pct: f64) -> Result<Marginals> {
        Marginals::new(
            growth_pct,
            self.horizons.iter().map(|h| h.components.clone()).collect(),
        )
    }

    /// The reference class as the commented TOML file the crate stores.
    pub fn to_toml_string(&self) -> String {
        let p = &self.provenance;
        let mut s = String::new();
        let q = |t: &str| toml::Value::String(t.to_string()).to_string();
        let _ = writeln!(
            s,
            "# The reference class of the plan-only baseline: the spread of the log\n\
             # change ln(x_h / x_0) by horizon h, centred at a median of 0, that a\n\
             # series gets when neither history nor a scenario says more. Its median\n\
             # path is the plan's stated rate.\n\
             #\n\
             # Written by `{}`; do not edit by hand.\n\
             # Each horizon's mixture: with probability weight, N(mu, sigma^2).",
            p.generator
        );
        let _ = writeln!(s, "\n[provenance]");
        let _ = writeln!(s, "method = {}", q(&p.method));
        let _ = writeln!(s, "rule = {}", q(&p.rule));
        let _ = writeln!(s, "generator = {}", q(&p.generator));
        let _ = writeln!(s, "version = {}", q(&p.version));
        for panel in &p.panels {
            let _ = writeln!(
                s,
                "\n[[provenance.panels]]\nfile = {}\nseries = {}\nfirst_year = {}\nlast_year = {}",
                q(&panel.file),
                panel.series,
                panel.first_year,
                panel.last_year
            );
        }
        for h in &self.horizons {
            let _ = writeln!(
                s,
                "\n[[horizons]]\nhorizon = {}\nseries = {}\nwidth80 = {:?}\ncomponents = [",
                h.horizon,
                q(&h.series),
                h.width80
            );
            for c in &h.components {
                let _ = writeln!(
                    s,
                    "  {{ weight = {:?}, mu = {:?}, sigma = {:?} }},",
                    c.weight, c.mu, c.sigma
                );
            }
            s.push_str("]\n");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_class_parses_and_is_sane() {
        let r = ReferenceClass::stored().unwrap();
        assert_eq!(r.horizons.len(), 10);
        assert!(r.provenance.panels.len() >= 4, "{:?}", r.provenance);
        assert_eq!(r.provenance.generator, GENERATOR);
        let m = r.model(5.0).unwrap();
        let mut last = 0.0;
        for h in 1..=10 {
            // The median path is the stated rate.
            let med = m.log_change_quantile(h, 0.5);
            assert!((med - h as f64 * 1.05f64.ln()).abs() < 1e-9, "h {h}: {med}");
            // The spread grows with the horizon, and stays plausible for
            // annual aggregates: a central 80% width between 1% and 200%
            // in logs.
            let w = m.log_change_quantile(h, 0.9) - m.log_change_quantile(h, 0.1);
            assert!(w > last, "h {h}: width {w} after {last}");
            assert!(w > 0.01 && w < 2.0, "h {h}: width {w}");
            assert!((w - r.horizons[h - 1].width80).abs() < 1e-6 * w, "h {h}");
            last = w;
        }
        // The file is what the writer writes.
        assert_eq!(
            ReferenceClass::from_toml_str(&r.to_toml_string()).unwrap(),
            *r
        );
    }

    #[test]
    fn bad_classes_are_errors() {
        let r = ReferenceClass::stored().unwrap();
        let mut bad = r.clone();
        bad.horizons[1].horizon = 5;
        let e = bad.validate().unwrap_err();
        assert!(e.to_string().contains("horizons[1].horizon"), "{e}");
        let mut bad = r.clone();
        for c in &mut bad.horizons[2].components {
            c.mu += 0.1;
        }
        let e = bad.validate().unwrap_err();
        assert!(e.to_string().contains("centred"), "{e}");
        assert!(ReferenceClass::from_toml_str("horizons = []").is_err());
    }
}
