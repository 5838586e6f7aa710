//! Correlation of annual shocks across series: validation, repair to the
//! nearest correlation matrix, and the Cholesky factor the engine applies.

use std::fmt;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Tolerance on symmetry and the unit diagonal (entries are printed figures).
const TOL: f64 = 1e-12;
/// Eigenvalues above `-EIG_TOL` count as non-negative (rounding in the
/// decomposition of a valid matrix).
const EIG_TOL: f64 = 1e-10;

/// A valid correlation matrix over named series: square, finite, symmetric,
/// unit diagonal, entries in [-1, 1], positive semi-definite.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CorrelationRows", into = "CorrelationRows")]
pub struct Correlation {
    /// Series of the rows and columns, in order.
    pub ids: Vec<String>,
    /// The matrix.
    pub matrix: DMatrix<f64>,
}

/// The plain form a file stores: ids and rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrelationRows {
    /// Series, in order.
    pub ids: Vec<String>,
    /// Rows of the matrix.
    pub rows: Vec<Vec<f64>>,
}

impl TryFrom<CorrelationRows> for Correlation {
    type Error = Error;
    fn try_from(r: CorrelationRows) -> Result<Self> {
        let m = rows_to_matrix(&r.ids, &r.rows)?;
        Correlation::new(r.ids, m)
    }
}

impl From<Correlation> for CorrelationRows {
    fn from(c: Correlation) -> Self {
        let n = c.ids.len();
        CorrelationRows {
            rows: (0..n)
                .map(|r| (0..n).map(|k| c.matrix[(r, k)]).collect())
                .collect(),
            ids: c.ids,
        }
    }
}

/// A matrix from rows, checking the shape against the ids.
pub fn rows_to_matrix(ids: &[String], rows: &[Vec<f64>]) -> Result<DMatrix<f64>> {
    let n = ids.len();
    if rows.len() != n {
        return Err(Error::parameter(
            "correlation.rows",
            format!("has {} rows for {n} ids", rows.len()),
        ));
    }
    if let Some((r, row)) = rows.iter().enumerate().find(|(_, row)| row.len() != n) {
        return Err(entry(
            ids,
            r,
            0,
            format!("row has {} values, expected {n}", row.len()),
        ));
    }
    Ok(DMatrix::from_fn(n, n, |r, c| rows[r][c]))
}

fn entry(ids: &[String], row: usize, col: usize, problem: String) -> Error {
    Error::Correlation {
        row,
        col,
        row_id: ids.get(row).cloned().unwrap_or_default(),
        col_id: ids.get(col).cloned().unwrap_or_default(),
        problem,
    }
}

/// What a repair changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repair {
    /// Frobenius norm of the change.
    pub frobenius: f64,
    /// Largest change of one entry.
    pub max_change: f64,
    /// Where it was: (row id, column id).
    pub at: (String, String),
    /// Iterations of alternating projections.
    pub iterations: usize,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "repaired to the nearest correlation matrix in {} iterations: Frobenius change {:.6}, largest change {:.6} at ({}, {})",
            self.iterations, self.frobenius, self.max_change, self.at.0, self.at.1
        )
    }
}

impl Correlation {
    /// Validates `matrix` as a correlation matrix over `ids`.
    pub fn new(ids: Vec<String>, matrix: DMatrix<f64>) -> Result<Self> {
        check_shape(&ids, &matrix)?;
        check_finite_symmetric(&ids, &matrix)?;
        let n = ids.len();
        for r in 0..n {
            for c in 0..n {
                let v = matrix[(r, c)];
                if r == c && (v - 1.0).abs() > TOL {
                    return Err(entry(&ids, r, c, format!("diagonal must be 1, got {v}")));
                }
                if !(-1.0 - TOL..=1.0 + TOL).contains(&v) {
                    return Err(entry(&ids, r, c, format!("must be in [-1, 1], got {v}")));
                }
            }
        }
        if n > 0 {
            let eig = matrix.clone().symmetric_eigen();
            let (k, min) = eig.eigenvalues.iter().copied().enumerate().fold(
                (0, f64::INFINITY),
                |a, (k, v)| if v < a.1 { (k, v) } else { a },
            );
            if min < -EIG_TOL {
                // Name the series that weighs most in the offending direction.
                let v = eig.eigenvectors.column(k);
                let r = v.iamax();
                return Err(entry(
                    &ids,
                    r,
                    r,
                    format!("matrix is not positive semi-definite: smallest eigenvalue {min:.6e}"),
                ));
            }
        }
        Ok(Correlation { ids, matrix })
    }

    /// The identity over `ids`: independent shocks.
    pub fn identity(ids: Vec<String>) -> Self {
        let n = ids.len();
        Correlation {
            ids,
            matrix: DMatrix::identity(n, n),
        }
    }

    /// Every pair correlated `rho` (valid for `-1/(n-1) <= rho <= 1`).
    pub fn equicorrelated(ids: Vec<String>, rho: f64) -> Result<Self> {
        let n = ids.len();
        let m = DMatrix::from_fn(n, n, |r, c| if r == c { 1.0 } else { rho });
        Self::new(ids, m)
    }

    /// The nearest correlation matrix to `matrix` in the Frobenius norm, by
    /// Higham's (2002) alternating projections with Dykstra's correction, and
    /// what changed. Only definiteness, the diagonal and the range are
    /// repaired: a matrix of the wrong shape, with non-finite entries or not
    /// symmetric is still an error.
    pub fn nearest(ids: Vec<String>, matrix: DMatrix<f64>) -> Result<(Self, Repair)> {
        check_shape(&ids, &matrix)?;
        check_finite_symmetric(&ids, &matrix)?;
        let n = ids.len();
        let mut y = matrix.clone();
        let mut ds = DMatrix::<f64>::zeros(n, n);
        let mut iterations = 0;
        for it in 1..=10_000 {
            iterations = it;
            let r = &y - &ds;
            let x = psd_projection(&r);
            ds = &x - &r;
            let mut next = x.clone();
            for i in 0..n {
                next[(i, i)] = 1.0;
            }
            let change = (&next - &y).norm() / next.norm().max(1.0);
            y = next;
            if change < 1e-14 {
                break;
            }
        }
        // Symmetrise, clamp rounding, and make sure the result validates:
        // shrink towards the identity by the least amount that does.
        y = (&y + y.transpose()) * 0.5;
        let mut result = None;
        for k in 0..60 {
            let w = if k == 0 { 0.0 } else { 1e-15 * 2f64.powi(k) };
            let cand = DMatrix::from_fn(n, n, |r, c| {
                if r == c {
                    1.0
                } else {
                    (y[(r, c)] * (1.0 - w)).clamp(-1.0, 1.0)
                }
            });
            if let Ok(ok) = Correlation::new(ids.clone(), cand) {
                result = Some(ok);
                break;
            }
        }
        let corr = result.ok_or_else(|| {
            Error::parameter("correlation", "could not be repaired to a valid matrix")
        })?;
        let diff = &corr.matrix - &matrix;
        let (mut max_change, mut at) = (0.0, (0, 0));
        for r in 0..n {
            for c in 0..n {
                if diff[(r, c)].abs() > max_change {
                    max_change = diff[(r, c)].abs();
                    at = (r, c);
                }
            }
        }
        let repair = Repair {
            frobenius: diff.norm(),
            max_change,
            at: (
                ids.get(at.0).cloned().unwrap_or_default(),
                ids.get(at.1).cloned().unwrap_or_default(),
            ),
            iterations,
        };
        Ok((corr, repair))
    }

    /// Lower-triangular `L` with `L L^T = C`. Semi-definite matrices (a pair
    /// correlated exactly 1, say) get zero columns where a pivot vanishes, so
    /// every valid matrix has a factor.
    pub fn cholesky_lower(&self) -> DMatrix<f64> {
        let n = self.ids.len();
        let a = &self.matrix;
        let mut l = DMatrix::<f64>::zeros(n, n);
        for j in 0..n {
            let mut d = a[(j, j)];
            for k in 0..j {
                d -= l[(j, k)] * l[(j, k)];
            }
            let pivot = if d > 1e-12 { d.sqrt() } else { 0.0 };
            l[(j, j)] = pivot;
            for i in j + 1..n {
                let mut s = a[(i, j)];
                for k in 0..j {
                    s -= l[(i, k)] * l[(j, k)];
                }
                l[(i, j)] = if pivot > 0.0 { s / pivot } else { 0.0 };
            }
        }
        l
    }
}

fn check_shape(ids: &[String], m: &DMatrix<f64>) -> Result<()> {
    if m.nrows() != ids.len() || m.ncols() != ids.len() {
        return Err(Error::parameter(
            "correlation",
            format!(
                "is {}x{} for {} ids; it must be square with one row per id",
                m.nrows(),
                m.ncols(),
                ids.len()
            ),
        ));
    }
    Ok(())
}

/// Every entry finite and equal to its mirror entry (to rounding).
fn check_finite_symmetric(ids: &[String], m: &DMatrix<f64>) -> Result<()> {
    let n = ids.len();
    for r in 0..n {
        for c in 0..n {
            let v = m[(r, c)];
            if !v.is_finite() {
                return Err(entry(ids, r, c, format!("must be finite, got {v}")));
            }
            if c > r && (v - m[(c, r)]).abs() > TOL * (1.0 + v.abs()) {
                return Err(entry(
                    ids,
                    r,
                    c,
                    format!(
                        "is {v} but its mirror entry is {}: not symmetric",
                        m[(c, r)]
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Projection onto the positive semi-definite cone: clip negative eigenvalues.
fn psd_projection(a: &DMatrix<f64>) -> DMatrix<f64> {
    let sym = (a + a.transpose()) * 0.5;
    let eig = sym.symmetric_eigen();
    let vals = eig.eigenvalues.map(|v| v.max(0.0));
    let v = &eig.eigenvectors;
    v * DMatrix::from_diagonal(&vals) * v.transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i}")).collect()
    }

    fn m(rows: &[&[f64]]) -> DMatrix<f64> {
        let n = rows.len();
        DMatrix::from_fn(n, n, |r, c| rows[r][c])
    }

    fn err(rows: &[&[f64]]) -> Error {
        Correlation::new(ids(rows.len()), m(rows)).unwrap_err()
    }

    #[test]
    fn each_invalid_matrix_names_its_entry() {
        let e = err(&[&[1.0, 0.5], &[0.4, 1.0]]);
        assert!(
            matches!(e, Error::Correlation { row: 0, col: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("not symmetric"));
        let e = err(&[&[1.0, 0.0], &[0.0, 0.9]]);
        assert!(
            matches!(e, Error::Correlation { row: 1, col: 1, .. }),
            "{e}"
        );
        let e = err(&[&[1.0, 1.2], &[1.2, 1.0]]);
        assert!(
            matches!(e, Error::Correlation { row: 0, col: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("[-1, 1]"), "{e}");
        let e = err(&[&[1.0, f64::NAN], &[f64::NAN, 1.0]]);
        assert!(e.to_string().contains("finite"), "{e}");
        let e = err(&[&[1.0, 0.9, -0.9], &[0.9, 1.0, 0.9], &[-0.9, 0.9, 1.0]]);
        assert!(e.to_string().contains("positive semi-definite"), "{e}");
        let e = Correlation::new(ids(3), DMatrix::identity(2, 2)).unwrap_err();
        assert!(e.to_string().contains("square"), "{e}");
        assert_eq!(
            err(&[&[1.0, 0.5], &[0.4, 1.0]]).to_string(),
            "correlation[0][1] (s0, s1): is 0.5 but its mirror entry is 0.4: not symmetric"
        );
    }

    #[test]
    fn higham_example_is_repaired_to_the_published_matrix() {
        // Higham (2002), section 4: A = [[1,1,0],[1,1,1],[0,1,1]]; nearest
        // correlation matrix has off-diagonals 0.7607, 0.1573, 0.7607.
        let a = m(&[&[1.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.0, 1.0, 1.0]]);
        let (c, repair) = Correlation::nearest(ids(3), a).unwrap();
        assert!((c.matrix[(0, 1)] - 0.7607).abs() < 1e-4, "{}", c.matrix);
        assert!((c.matrix[(0, 2)] - 0.1573).abs() < 1e-4, "{}", c.matrix);
        assert!((c.matrix[(1, 2)] - 0.7607).abs() < 1e-4, "{}", c.matrix);
        assert!(repair.frobenius > 0.0 && repair.max_change > 0.1);
    }

    #[test]
    fn nearest_leaves_a_valid_matrix_alone() {
        let c = Correlation::equicorrelated(ids(4), 0.3).unwrap();
        let (r, repair) = Correlation::nearest(c.ids.clone(), c.matrix.clone()).unwrap();
        assert!(repair.frobenius < 1e-12, "{}", repair.frobenius);
        assert!((r.matrix - c.matrix).norm() < 1e-12);
    }

    #[test]
    fn cholesky_reproduces_the_matrix_even_when_singular() {
        let c = Correlation::equicorrelated(ids(21), 0.3).unwrap();
        let l = c.cholesky_lower();
        assert!((&l * l.transpose() - &c.matrix).norm() < 1e-12);
        let s = Correlation::new(
            ids(3),
            m(&[&[1.0, 1.0, 0.5], &[1.0, 1.0, 0.5], &[0.5, 0.5, 1.0]]),
        )
        .unwrap();
        let l = s.cholesky_lower();
        assert!((&l * l.transpose() - &s.matrix).norm() < 1e-12);
    }

    #[test]
    fn serde_validates() {
        let ok: Correlation =
            serde_json::from_str(r#"{"ids":["a","b"],"rows":[[1,0.2],[0.2,1]]}"#).unwrap();
        assert_eq!(ok.matrix[(0, 1)], 0.2);
        let bad = serde_json::from_str::<Correlation>(r#"{"ids":["a","b"],"rows":[[1,2],[2,1]]}"#);
        assert!(bad.is_err());
        let back: Correlation = serde_json::from_str(&serde_json::to_string(&ok).unwrap()).unwrap();
        assert_eq!(back, ok);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn nearest_always_gives_a_valid_matrix(
                n in 1usize..7,
                vals in proptest::collection::vec(-1.0f64..=1.0, 21),
            ) {
                let mut k = 0;
                let mut a = DMatrix::<f64>::identity(n, n);
                for r in 0..n {
                    for c in r + 1..n {
                        a[(r, c)] = vals[k];
                        a[(c, r)] = vals[k];
                        k += 1;
                    }
                }
                let (c, _) = Correlation::nearest(ids(n), a).unwrap();
                prop_assert!(Correlation::new(c.ids.clone(), c.matrix.clone()).is_ok());
            }
        }
    }
}
