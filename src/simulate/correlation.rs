//! Correlation of annual shocks across series: validation, repair to the
//! nearest correlation matrix, the Cholesky factor, and its application to a
//! block of standard normals.

use std::fmt;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Problem, Result};
use crate::simulate::kernel;

/// Tolerance on symmetry (relative to the entry), the unit diagonal and the
/// range [-1, 1] (absolute): entries are typed figures, so anything finer is
/// rounding.
const TOL: f64 = 1e-12;
/// Eigenvalues above `-EIG_TOL` count as non-negative. The eigen solver's
/// backward error is about `n eps |C|_2 <= n^2 eps` (1e-13 at n = 21), far
/// below this; a matrix that passes is within `EIG_TOL` (2-norm) of a
/// semi-definite one, and [`Correlation::cholesky_lower`] absorbs the rest.
const EIG_TOL: f64 = 1e-10;
/// Relative step below which the alternating projections stop (raised to
/// `4 n eps` for large `n`, where rounding alone moves the iterate that much).
const NEAREST_TOL: f64 = 1e-14;
/// Iteration cap of the alternating projections. Inputs far outside the
/// correlation set with a singular answer converge sublinearly and may stop
/// here; [`Repair::converged`] says so.
const MAX_ITER: usize = 10_000;
/// Squared Cholesky pivot at or below which a column is taken as exactly
/// dependent on the earlier ones (its entries become zero). Dropping it
/// changes `L L^T` by at most this much.
const PIVOT_TOL: f64 = 1e-12;
/// Largest entry of `|L L^T - C|` accepted from the plain factorisation
/// before [`Correlation::cholesky_lower`] tries a jitter.
const FACTOR_TOL: f64 = 1e-12;
/// Largest jitter [`Correlation::cholesky_lower`] tries on a nearly singular
/// matrix.
const MAX_JITTER: f64 = 1e-6;

/// A valid correlation matrix over named series: square with one row per id,
/// finite, symmetric, unit diagonal, entries in [-1, 1], positive
/// semi-definite (each to the tolerances above).
///
/// Build it with [`Correlation::new`] (which checks) or [`Correlation::nearest`]
/// (which repairs); read it through [`Correlation::ids`] and
/// [`Correlation::matrix`]. The fields are private, so every value is valid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CorrelationRows", into = "CorrelationRows")]
pub struct Correlation {
    ids: Vec<String>,
    matrix: DMatrix<f64>,
}

/// The plain form a file stores: ids and rows. Loading it into a
/// [`Correlation`] validates it.
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
        let (nr, nc) = c.matrix.shape();
        CorrelationRows {
            rows: (0..nr)
                .map(|r| (0..nc).map(|k| c.matrix[(r, k)]).collect())
                .collect(),
            ids: c.ids,
        }
    }
}

/// A matrix from rows, checking the shape against the ids (a ragged row is
/// named by its index).
pub fn rows_to_matrix(ids: &[String], rows: &[Vec<f64>]) -> Result<DMatrix<f64>> {
    let n = ids.len();
    if rows.len() != n {
        return Err(Error::parameter(
            "correlation.rows",
            format!("has {} rows for {n} ids", rows.len()),
        ));
    }
    if let Some((r, row)) = rows.iter().enumerate().find(|(_, row)| row.len() != n) {
        let c = row.len().min(n.saturating_sub(1));
        return Err(entry(
            ids,
            r,
            c,
            format!("row has {} values, expected {n}", row.len()),
        ));
    }
    Ok(DMatrix::from_fn(n, n, |r, c| rows[r][c]))
}

fn entry(ids: &[String], row: usize, col: usize, problem: impl Into<Problem>) -> Error {
    Error::Correlation {
        row,
        col,
        row_id: ids.get(row).cloned().unwrap_or_default(),
        col_id: ids.get(col).cloned().unwrap_or_default(),
        problem: Box::new(problem.into()),
    }
}

/// What [`Correlation::nearest`] changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repair {
    /// Frobenius norm of the change (every entry, both triangles).
    pub frobenius: f64,
    /// Largest change of one entry (0 when nothing changed).
    pub max_change: f64,
    /// Where it was: (row id, column id), upper triangle first.
    pub at: (String, String),
    /// Iterations of alternating projections (0 for a matrix already valid).
    pub iterations: usize,
    /// Whether the projections met their tolerance before the iteration cap.
    /// The result is a valid correlation matrix either way; when false it may
    /// be slightly farther from the input than the nearest one.
    pub converged: bool,
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "repaired to the nearest correlation matrix in {} iterations{}: Frobenius change {:.6}, largest change {:.6} at ({}, {})",
            self.iterations,
            if self.converged {
                ""
            } else {
                " (iteration cap reached)"
            },
            self.frobenius,
            self.max_change,
            self.at.0,
            self.at.1
        )
    }
}

impl Correlation {
    /// Series of the rows and columns, in order.
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// The matrix, one row and column per id.
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.matrix
    }

    /// Validates `matrix` as a correlation matrix over `ids`: one row and
    /// column per id, finite entries, symmetric to `1e-12` relative, diagonal
    /// within `1e-12` of 1, entries within `1e-12` of [-1, 1], and smallest
    /// eigenvalue (symmetric eigen decomposition) at least `-1e-10`.
    ///
    /// The error names the first offending entry in row order; a matrix that
    /// is not semi-definite names its smallest eigenvalue and the pair of
    /// series that weigh most in its eigenvector.
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
                    return Err(entry(&ids, r, c, Problem::out_of_range(v, "in [-1, 1]")));
                }
            }
        }
        if n > 1 {
            let eig = symmetric_eigen(&matrix)
                .ok_or_else(|| entry(&ids, 0, 0, "eigen decomposition did not converge"))?;
            let (k, min) = eig.eigenvalues.iter().copied().enumerate().fold(
                (0, f64::INFINITY),
                |a, (k, v)| if v < a.1 { (k, v) } else { a },
            );
            if min < -EIG_TOL {
                let (r, c) = heaviest_pair(eig.eigenvectors.column(k).iter().copied());
                return Err(entry(
                    &ids,
                    r,
                    c,
                    format!(
                        "matrix is not positive semi-definite: smallest eigenvalue {min:.6e} \
                         (must be >= -{EIG_TOL:e}); this pair weighs most in its eigenvector"
                    ),
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

    /// Every pair correlated `rho`: valid for `-1/(n-1) <= rho <= 1`, an
    /// error (from [`Correlation::new`]) otherwise.
    pub fn equicorrelated(ids: Vec<String>, rho: f64) -> Result<Self> {
        let n = ids.len();
        let m = DMatrix::from_fn(n, n, |r, c| if r == c { 1.0 } else { rho });
        Self::new(ids, m)
    }

    /// The nearest correlation matrix to `matrix` in the Frobenius norm, by
    /// Higham's (2002) alternating projections with Dykstra's correction
    /// (project onto the semi-definite cone by clipping eigenvalues at 0, then
    /// onto unit diagonal), and what changed.
    ///
    /// Only definiteness, the diagonal and the range [-1, 1] are repaired: a
    /// matrix of the wrong shape, with non-finite entries, or not symmetric
    /// (to `1e-12` relative) is still an error, since such input is a typing
    /// mistake rather than an estimate to adjust. A matrix that already
    /// passes [`Correlation::new`] comes back unchanged. The projections stop
    /// when a step changes the iterate by less than `1e-14` relative, or after
    /// 10,000 iterations; the result is then nudged towards the identity by the
    /// least amount (from `1e-15`, doubling) that makes it pass
    /// [`Correlation::new`] with no negative computed eigenvalue, so it is
    /// always strictly valid.
    pub fn nearest(ids: Vec<String>, matrix: DMatrix<f64>) -> Result<(Self, Repair)> {
        check_shape(&ids, &matrix)?;
        check_finite_symmetric(&ids, &matrix)?;
        if let Ok(valid) = Correlation::new(ids.clone(), matrix.clone()) {
            let repair = Repair {
                frobenius: 0.0,
                max_change: 0.0,
                at: (
                    ids.first().cloned().unwrap_or_default(),
                    ids.first().cloned().unwrap_or_default(),
                ),
                iterations: 0,
                converged: true,
            };
            return Ok((valid, repair));
        }
        let n = ids.len();
        let overflow = || {
            Error::parameter(
                "correlation",
                "could not be repaired: entries too large for the projections (overflow)",
            )
        };
        let tol = NEAREST_TOL.max(4.0 * n as f64 * f64::EPSILON);
        let scale = frobenius(&matrix).max(1.0);
        if !scale.is_finite() {
            return Err(overflow());
        }
        let mut y = matrix.clone();
        let mut ds = DMatrix::<f64>::zeros(n, n);
        let (mut iterations, mut converged) = (0, false);
        while iterations < MAX_ITER {
            iterations += 1;
            let r = &y - &ds;
            let x = psd_projection(&r).ok_or_else(overflow)?;
            ds = &x - &r;
            let mut next = x;
            next.fill_diagonal(1.0);
            let step = frobenius(&(&next - &y));
            y = next;
            if !step.is_finite() {
                return Err(overflow());
            }
            if step <= tol * scale.max(frobenius(&y)) {
                converged = true;
                break;
            }
        }
        // Symmetrise, clamp rounding, and shrink towards the identity by the
        // least amount that validates with no negative computed eigenvalue
        // (the identity itself always does): the iterate ends on the unit
        // diagonal side, where eigenvalues of -1e-13 occur, and the Cholesky
        // factor of a truly semi-definite matrix is more accurate.
        let y = DMatrix::from_fn(n, n, |r, c| {
            if r == c {
                1.0
            } else {
                (0.5 * y[(r, c)] + 0.5 * y[(c, r)]).clamp(-1.0, 1.0)
            }
        });
        let mut repaired = None;
        for k in 0..=50 {
            let w = if k == 0 {
                0.0
            } else {
                (1e-15 * 2f64.powi(k)).min(1.0)
            };
            let cand = y.map_with_location(|r, c, v| if r == c { v } else { v * (1.0 - w) });
            let semidefinite = symmetric_eigen(&cand).is_none_or(|e| e.eigenvalues.min() >= 0.0);
            if !semidefinite {
                continue;
            }
            if let Ok(ok) = Correlation::new(ids.clone(), cand) {
                repaired = Some(ok);
                break;
            }
        }
        let corr = repaired.ok_or_else(overflow)?;
        let diff = &corr.matrix - &matrix;
        let (mut max_change, mut at) = (0.0, (0, 0));
        for r in 0..n {
            for c in r..n {
                if diff[(r, c)].abs() > max_change {
                    max_change = diff[(r, c)].abs();
                    at = (r, c);
                }
            }
        }
        let repair = Repair {
            frobenius: frobenius(&diff),
            max_change,
            at: (ids[at.0].clone(), ids[at.1].clone()),
            iterations,
            converged,
        };
        Ok((corr, repair))
    }

    /// Lower-triangular `L` with `L L^T = C`, for the path simulator to correlate
    /// shocks. Never panics.
    ///
    /// A pivot-free Cholesky that tolerates semi-definite matrices: where a
    /// squared pivot is at most `1e-12` the column depends on the earlier ones
    /// (a pair correlated exactly 1, `rho = -1/(n-1)`) and is set to zero.
    /// That reproduces `C` to `1e-12` in every entry for definite matrices and
    /// for cleanly singular ones. In a nearly singular matrix, though, small
    /// pivots magnify rounding (an eigenvalue of `-1e-13` has been seen to
    /// leave `1e-9`); then it factors the jittered `(C + d I) / (1 + d)`, a
    /// definite correlation matrix within `d` of `C`, for `d = 1e-12, 1e-11,
    /// ..., 1e-6` until the error is at most `2 d`, and returns the factor
    /// whose `L L^T` is closest to `C`.
    pub fn cholesky_lower(&self) -> DMatrix<f64> {
        // The constructors checked `matrix`: square, finite, one row per id.
        let a = &self.matrix;
        let mut best = semidefinite_cholesky(a);
        let mut best_err = reconstruction_error(&best, a);
        let mut d = FACTOR_TOL;
        while best_err > FACTOR_TOL && d <= MAX_JITTER {
            let jittered = a.map_with_location(|r, c, v| if r == c { v } else { v / (1.0 + d) });
            let l = semidefinite_cholesky(&jittered);
            let err = reconstruction_error(&l, a);
            if err < best_err {
                (best, best_err) = (l, err);
            }
            if best_err <= 2.0 * d {
                break;
            }
            d *= 10.0;
        }
        best
    }
}

/// Pivot-free Cholesky of a symmetric semi-definite `a` with zero columns
/// where the squared pivot is at most [`PIVOT_TOL`].
fn semidefinite_cholesky(a: &DMatrix<f64>) -> DMatrix<f64> {
    let n = a.nrows();
    let mut l = DMatrix::<f64>::zeros(n, n);
    for j in 0..n {
        let mut d = a[(j, j)];
        for k in 0..j {
            d -= l[(j, k)] * l[(j, k)];
        }
        if d <= PIVOT_TOL {
            continue;
        }
        let pivot = d.sqrt();
        l[(j, j)] = pivot;
        for i in j + 1..n {
            let mut s = a[(i, j)];
            for k in 0..j {
                s -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = s / pivot;
        }
    }
    l
}

/// Largest entry of `|L L^T - A|` (NaN if any entry is NaN).
fn reconstruction_error(l: &DMatrix<f64>, a: &DMatrix<f64>) -> f64 {
    let diff = l * l.transpose() - a;
    if diff.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    diff.camax()
}

/// Correlates a block of standard normals: `z_out[i][p] = sum_{j <= i}
/// L[i][j] z_in[j][p]` for the lower triangle of `l` (entries above the
/// diagonal are ignored), with both blocks laid out `[series][path]`,
/// `paths` values per series.
///
/// Packs `l`'s lower triangle once per call (`n^2` values) and runs the
/// path simulator's kernel (`kernel::lower_triangular_apply`); the simulator, applying
/// one factor to many blocks, packs it once and calls that kernel directly.
pub fn correlate_block(
    l: &DMatrix<f64>,
    z_in: &[f64],
    z_out: &mut [f64],
    paths: usize,
) -> Result<()> {
    let n = l.nrows();
    if l.ncols() != n {
        return Err(Error::parameter(
            "l",
            format!("must be square, is {}x{}", n, l.ncols()),
        ));
    }
    let len = n.checked_mul(paths);
    for (name, got) in [("z_in", z_in.len()), ("z_out", z_out.len())] {
        if Some(got) != len {
            return Err(Error::parameter(
                name,
                format!("has {got} values, expected {n} series x {paths} paths"),
            ));
        }
    }
    if n == 0 || paths == 0 {
        return Ok(());
    }
    let packed = kernel::LowerPanels::from_row_major(&lower_row_major(l), n)?;
    kernel::lower_triangular_apply(&packed, paths, z_in, z_out);
    Ok(())
}

/// The lower triangle of a square `l`, row-major (`n x n`, zeros above the
/// diagonal): the layout the path simulator's kernel packs.
pub fn lower_row_major(l: &DMatrix<f64>) -> Vec<f64> {
    let (nr, nc) = l.shape();
    let mut out = vec![0.0; nr * nc];
    for (r, row) in out.chunks_exact_mut(nc.max(1)).take(nr).enumerate() {
        for (c, v) in row.iter_mut().enumerate().take(r + 1) {
            *v = l[(r, c)];
        }
    }
    out
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
                return Err(entry(ids, r, c, Problem::not_finite(v)));
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

/// Symmetric eigen decomposition with a cap on the QR sweeps (nalgebra's
/// default has none), reading only the lower triangle; `None` for an empty
/// matrix or one that does not converge (non-finite input).
fn symmetric_eigen(a: &DMatrix<f64>) -> Option<nalgebra::SymmetricEigen<f64, nalgebra::Dyn>> {
    let n = a.nrows();
    if n == 0 || a.ncols() != n {
        return None;
    }
    a.clone().try_symmetric_eigen(f64::EPSILON, 1_000 + 100 * n)
}

/// Projection onto the positive semi-definite cone: clip negative
/// eigenvalues. `None` when the result is not finite (overflow).
fn psd_projection(a: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let sym = a * 0.5 + a.transpose() * 0.5;
    let eig = symmetric_eigen(&sym)?;
    let v = &eig.eigenvectors;
    let mut scaled = v.clone();
    for (mut col, &lambda) in scaled.column_iter_mut().zip(eig.eigenvalues.iter()) {
        col *= lambda.max(0.0);
    }
    let x = scaled * v.transpose();
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Frobenius norm without overflow or underflow in the squares.
fn frobenius(a: &DMatrix<f64>) -> f64 {
    let m = a.camax();
    if m == 0.0 || !m.is_finite() {
        return m;
    }
    m * a.iter().map(|v| (v / m) * (v / m)).sum::<f64>().sqrt()
}

/// Indices (row < col) of the two largest components by magnitude.
fn heaviest_pair(v: impl Iterator<Item = f64>) -> (usize, usize) {
    let (mut first, mut second) = ((0, -1.0), (0, -1.0));
    for (k, x) in v.enumerate() {
        let a = x.abs();
        if a > first.1 {
            second = first;
            first = (k, a);
        } else if a > second.1 {
            second = (k, a);
        }
    }
    (first.0.min(second.0), first.0.max(second.0))
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

    /// The (row, col) an error names.
    fn at(e: &Error) -> (usize, usize) {
        match e {
            Error::Correlation { row, col, .. } => (*row, *col),
            other => panic!("not a correlation error: {other}"),
        }
    }

    fn max_abs(a: &DMatrix<f64>) -> f64 {
        a.camax()
    }

    #[test]
    fn asymmetric_entry_is_named_with_both_values() {
        let e = err(&[&[1.0, 0.2, 0.1], &[0.2, 1.0, 0.5], &[0.1, 0.4, 1.0]]);
        assert_eq!(at(&e), (1, 2));
        assert_eq!(
            e.to_string(),
            "correlation[1][2] (s1, s2): is 0.5 but its mirror entry is 0.4: not symmetric"
        );
        // Rounding in the 13th digit is not asymmetry.
        let ok = m(&[&[1.0, 0.3], &[0.3 + 1e-15, 1.0]]);
        assert!(Correlation::new(ids(2), ok).is_ok());
    }

    #[test]
    fn diagonal_not_one_is_named() {
        let e = err(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.0], &[0.0, 0.0, 0.9]]);
        assert_eq!(at(&e), (2, 2));
        assert_eq!(
            e.to_string(),
            "correlation[2][2] (s2, s2): diagonal must be 1, got 0.9"
        );
    }

    #[test]
    fn entry_out_of_range_is_named() {
        let e = err(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 1.2], &[0.0, 1.2, 1.0]]);
        assert_eq!(at(&e), (1, 2));
        assert_eq!(
            e.to_string(),
            "correlation[1][2] (s1, s2): must be in [-1, 1], got 1.2"
        );
        let e = err(&[&[1.0, -1.5], &[-1.5, 1.0]]);
        assert_eq!(at(&e), (0, 1));
    }

    #[test]
    fn non_finite_entry_is_named() {
        // Only the lower entry is NaN: the symmetry check on (1, 2) cannot
        // see it (NaN compares false), the finiteness check on (2, 1) does.
        let e = err(&[&[1.0, 0.0, 0.0], &[0.0, 1.0, 0.5], &[0.0, f64::NAN, 1.0]]);
        assert_eq!(at(&e), (2, 1));
        assert_eq!(
            e.to_string(),
            "correlation[2][1] (s2, s1): must be finite, got NaN"
        );
        let e = err(&[&[1.0, f64::INFINITY], &[f64::INFINITY, 1.0]]);
        assert_eq!(at(&e), (0, 1));
    }

    #[test]
    fn indefinite_matrix_names_its_smallest_eigenvalue_and_pair() {
        // numpy.linalg.eigh: smallest eigenvalue -0.05511762180010312,
        // eigenvector (-0.104, 0.782, -0.465, -0.402): s1 and s2 weigh most.
        let e = err(&[
            &[1.0, 0.2, 0.1, 0.0],
            &[0.2, 1.0, 0.95, 0.9],
            &[0.1, 0.95, 1.0, 0.6],
            &[0.0, 0.9, 0.6, 1.0],
        ]);
        assert_eq!(at(&e), (1, 2));
        assert!(
            e.to_string().starts_with(
                "correlation[1][2] (s1, s2): matrix is not positive semi-definite: \
                 smallest eigenvalue -5.511762e-2"
            ),
            "{e}"
        );
        // Just inside the cone: rho = -1/(n-1) has eigenvalue 0.
        assert!(Correlation::equicorrelated(ids(5), -0.25).is_ok());
        let e = Correlation::equicorrelated(ids(5), -0.26).unwrap_err();
        // Smallest eigenvalue 1 + 4 (-0.26) = -0.04.
        assert!(e.to_string().contains("-4.000000e-2"), "{e}");
    }

    #[test]
    fn shape_mismatch_is_an_error() {
        let e = Correlation::new(ids(3), DMatrix::identity(2, 2)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter correlation: is 2x2 for 3 ids; it must be square with one row per id"
        );
        let e = Correlation::new(ids(2), DMatrix::zeros(2, 3)).unwrap_err();
        assert!(e.to_string().contains("is 2x3"), "{e}");
        // In the rows form a ragged row is named with its first missing column.
        let e = rows_to_matrix(&ids(3), &[vec![1.0; 3], vec![1.0], vec![1.0; 3]]).unwrap_err();
        assert_eq!(at(&e), (1, 1));
        assert_eq!(
            e.to_string(),
            "correlation[1][1] (s1, s1): row has 1 values, expected 3"
        );
        let e = rows_to_matrix(&ids(2), &[vec![1.0; 2]]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter correlation.rows: has 1 rows for 2 ids"
        );
    }

    #[test]
    fn identity_and_equicorrelated() {
        let i = Correlation::identity(ids(3));
        assert_eq!(Correlation::new(i.ids.clone(), i.matrix.clone()), Ok(i));
        let c = Correlation::equicorrelated(ids(3), 0.4).unwrap();
        assert_eq!(c.matrix[(2, 0)], 0.4);
        assert_eq!(c.matrix[(1, 1)], 1.0);
        assert!(Correlation::equicorrelated(ids(3), f64::NAN).is_err());
        assert!(Correlation::equicorrelated(vec![], 0.4).is_ok());
    }

    #[test]
    fn higham_example_is_repaired_to_the_published_matrix() {
        // Higham (2002), section 4: A = [[1,1,0],[1,1,1],[0,1,1]] has nearest
        // correlation matrix with off-diagonals 0.7607, 0.1573, 0.7607. Our own
        // numpy implementation of the same algorithm (tolerance 1e-15) gives
        // 0.7606898534022841 and 0.15729810613837583, a change of Frobenius
        // norm 0.527790463581828, largest 0.23931014659771643 (at (0, 1)).
        let a = m(&[&[1.0, 1.0, 0.0], &[1.0, 1.0, 1.0], &[0.0, 1.0, 1.0]]);
        let (c, repair) = Correlation::nearest(ids(3), a).unwrap();
        let x = &c.matrix;
        assert!((x[(0, 1)] - 0.7606898534022841).abs() < 1e-9, "{x}");
        assert!((x[(1, 2)] - 0.7606898534022841).abs() < 1e-9, "{x}");
        assert!((x[(0, 2)] - 0.15729810613837583).abs() < 1e-9, "{x}");
        assert!((x[(0, 1)] - 0.7607).abs() < 5e-5 && (x[(0, 2)] - 0.1573).abs() < 5e-5);
        assert!((repair.frobenius - 0.527790463581828).abs() < 1e-9);
        assert!((repair.max_change - 0.23931014659771643).abs() < 1e-9);
        assert_eq!(repair.at, ("s0".to_string(), "s1".to_string()));
        assert!(repair.converged && repair.iterations > 1);
        assert_is_correlation(x);
    }

    /// Unit diagonal, symmetric, in range and PSD to rounding, checked
    /// independently of `Correlation::new`.
    fn assert_is_correlation(x: &DMatrix<f64>) {
        let n = x.nrows();
        for r in 0..n {
            assert_eq!(x[(r, r)], 1.0);
            for c in 0..n {
                assert_eq!(x[(r, c)], x[(c, r)]);
                assert!(x[(r, c)].abs() <= 1.0);
            }
        }
        if n > 0 {
            let min = x.clone().symmetric_eigenvalues().min();
            assert!(min >= -EIG_TOL, "smallest eigenvalue {min}");
        }
    }

    #[test]
    fn nearest_repairs_diagonal_and_range_exactly() {
        // [[2, .5], [.5, 1]] -> [[1, .5], [.5, 1]]: only the diagonal moves.
        let (c, r) = Correlation::nearest(ids(2), m(&[&[2.0, 0.5], &[0.5, 1.0]])).unwrap();
        assert!((c.matrix[(0, 1)] - 0.5).abs() < 1e-12);
        assert!((r.frobenius - 1.0).abs() < 1e-12 && (r.max_change - 1.0).abs() < 1e-12);
        assert_eq!(r.at, ("s0".to_string(), "s0".to_string()));
        // [[1, 1.5], [1.5, 1]] -> all ones: change 0.5 twice, norm sqrt(0.5).
        let (c, r) = Correlation::nearest(ids(2), m(&[&[1.0, 1.5], &[1.5, 1.0]])).unwrap();
        assert!((c.matrix[(0, 1)] - 1.0).abs() < 1e-9, "{}", c.matrix);
        assert!((r.frobenius - 0.5f64.sqrt()).abs() < 1e-9, "{r:?}");
        assert!(
            r.to_string()
                .starts_with("repaired to the nearest correlation matrix in ")
        );
    }

    #[test]
    fn nearest_leaves_a_valid_matrix_alone() {
        let c = Correlation::equicorrelated(ids(4), 0.3).unwrap();
        let (r, repair) = Correlation::nearest(c.ids.clone(), c.matrix.clone()).unwrap();
        assert_eq!(r, c);
        assert_eq!((repair.frobenius, repair.max_change), (0.0, 0.0));
        assert_eq!(repair.iterations, 0);
        let (e, _) = Correlation::nearest(vec![], DMatrix::zeros(0, 0)).unwrap();
        assert!(e.ids.is_empty());
    }

    #[test]
    fn nearest_still_rejects_what_it_cannot_repair() {
        let asym = m(&[&[1.0, 0.5], &[0.4, 1.0]]);
        assert_eq!(at(&Correlation::nearest(ids(2), asym).unwrap_err()), (0, 1));
        let nan = m(&[&[1.0, f64::NAN], &[f64::NAN, 1.0]]);
        assert_eq!(at(&Correlation::nearest(ids(2), nan).unwrap_err()), (0, 1));
        let e = Correlation::nearest(ids(3), DMatrix::identity(2, 2)).unwrap_err();
        assert!(e.to_string().contains("square"), "{e}");
        // Entries so large the projections overflow: an error, not a panic.
        let huge = m(&[&[1.0, f64::MAX], &[f64::MAX, 1.0]]);
        let e = Correlation::nearest(ids(2), huge).unwrap_err();
        assert!(e.to_string().contains("overflow"), "{e}");
        // Large but representable: repaired to rho = 1.
        let big = m(&[&[1.0, 1e200], &[1e200, 1.0]]);
        let (c, r) = Correlation::nearest(ids(2), big).unwrap();
        assert!((c.matrix[(0, 1)] - 1.0).abs() < 1e-9 && r.max_change > 9e199);
    }

    #[test]
    fn cholesky_reproduces_the_matrix() {
        let c = Correlation::equicorrelated(ids(21), 0.3).unwrap();
        let l = c.cholesky_lower();
        assert!(max_abs(&(&l * l.transpose() - c.matrix())) < 1e-12);
        assert!(
            l.upper_triangle()
                .iter()
                .zip(l.iter())
                .all(|(u, v)| u == v || *u == 0.0)
        );
        assert_eq!(l, l.lower_triangle());
        // numpy.linalg.cholesky of [[1,.8,-.3],[.8,1,-.1],[-.3,-.1,1]].
        let t = Correlation::new(ids(3), target()).unwrap().cholesky_lower();
        let want = m(&[
            &[1.0, 0.0, 0.0],
            &[0.8, 0.5999999999999999, 0.0],
            &[-0.3, 0.23333333333333334, 0.9249624617007739],
        ]);
        assert!(max_abs(&(t - want)) < 1e-15);
    }

    #[test]
    fn cholesky_handles_singular_matrices() {
        // s0 and s1 identical (rho = 1): the second column is zero.
        let s = Correlation::new(
            ids(3),
            m(&[&[1.0, 1.0, 0.5], &[1.0, 1.0, 0.5], &[0.5, 0.5, 1.0]]),
        )
        .unwrap();
        let l = s.cholesky_lower();
        assert!(max_abs(&(&l * l.transpose() - s.matrix())) < 1e-12);
        assert_eq!(l.column(1).iter().copied().collect::<Vec<_>>(), [0.0; 3]);
        // On the boundary of the cone: rho = -1/(n-1), rank n-1.
        let b = Correlation::equicorrelated(ids(21), -0.05).unwrap();
        let l = b.cholesky_lower();
        assert!(max_abs(&(&l * l.transpose() - b.matrix())) < 1e-12);
        // All ones: rank 1.
        let one = Correlation::equicorrelated(ids(21), 1.0).unwrap();
        let l = one.cholesky_lower();
        assert!(max_abs(&(&l * l.transpose() - one.matrix())) < 1e-12);
    }

    #[test]
    fn cholesky_jitters_a_nearly_singular_matrix() {
        // Rank 2 up to rounding: numpy.linalg.eigvalsh gives -9.9e-14, -1.3e-14,
        // 2.3e-14, 1.749, 3.251. A plain semi-definite Cholesky (in numpy
        // too) leaves an error of 1.0620690993334847e-9; jitter 1e-12 fixes it.
        let a = m(&[
            &[
                1.0,
                0.9999128506186817,
                -0.1995088181857039,
                -0.44937921820611426,
                0.998368627961901,
            ],
            &[
                0.9999128506186817,
                1.0,
                -0.2124279577945164,
                -0.43754622126110027,
                0.9990354135773765,
            ],
            &[
                -0.1995088181857039,
                -0.2124279577945164,
                1.0,
                -0.7857262799471257,
                -0.2551325999816498,
            ],
            &[
                -0.44937921820611426,
                -0.43754622126110027,
                -0.7857262799471257,
                1.0,
                -0.3976388971815635,
            ],
            &[
                0.998368627961901,
                0.9990354135773765,
                -0.2551325999816498,
                -0.3976388971815635,
                1.0,
            ],
        ]);
        let plain = reconstruction_error(&semidefinite_cholesky(&a), &a);
        assert!((plain - 1.0620690993334847e-9).abs() < 1e-11, "{plain:e}");
        let c = Correlation::new(ids(5), a.clone()).unwrap();
        let l = c.cholesky_lower();
        assert!(reconstruction_error(&l, &a) <= 2e-12);
        assert_eq!(l, l.lower_triangle());
    }

    fn target() -> DMatrix<f64> {
        m(&[&[1.0, 0.8, -0.3], &[0.8, 1.0, -0.1], &[-0.3, -0.1, 1.0]])
    }

    #[test]
    fn correlate_block_applies_the_lower_triangle() {
        // L = [[1, (ignored)], [0.6, 0.8]], series rows [1, 2] and [3, 4].
        let l = m(&[&[1.0, 99.0], &[0.6, 0.8]]);
        let mut out = [0.0; 4];
        correlate_block(&l, &[1.0, 2.0, 3.0, 4.0], &mut out, 2).unwrap();
        // Each output is a chain of fused multiply-adds.
        let fused = |a: f64, b: f64, c: f64| a.mul_add(b, c);
        assert_eq!(
            out,
            [1.0, 2.0, fused(0.8, 3.0, 0.6), fused(0.8, 4.0, 0.6 * 2.0)]
        );
        // 21 series x 1027 paths (tiles and remainders) against a plain loop.
        let (n, paths) = (21, 1027);
        let l = Correlation::equicorrelated(ids(n), 0.3)
            .unwrap()
            .cholesky_lower();
        let z: Vec<f64> = (0..n * paths)
            .map(|k| ((k * 7919) % 1000) as f64 / 500.0 - 1.0)
            .collect();
        let mut out = vec![0.0; n * paths];
        correlate_block(&l, &z, &mut out, paths).unwrap();
        for i in 0..n {
            for p in 0..paths {
                let want: f64 = (0..=i).map(|j| l[(i, j)] * z[j * paths + p]).sum();
                assert!((out[i * paths + p] - want).abs() < 1e-13);
            }
        }
    }

    #[test]
    fn correlate_block_checks_lengths() {
        let l = DMatrix::<f64>::identity(2, 2);
        let mut out = [0.0; 4];
        let e = correlate_block(&l, &[0.0; 3], &mut out, 2).unwrap_err();
        assert_eq!(
            e.to_string(),
            "parameter z_in: has 3 values, expected 2 series x 2 paths"
        );
        assert!(correlate_block(&l, &[0.0; 4], &mut out[..3], 2).is_err());
        let e = correlate_block(&DMatrix::zeros(2, 3), &[0.0; 4], &mut out, 2).unwrap_err();
        assert!(e.to_string().contains("square"), "{e}");
        assert!(correlate_block(&l, &[], &mut [], 0).is_ok());
        assert!(correlate_block(&l, &[0.0; 4], &mut out, usize::MAX).is_err());
    }

    #[test]
    fn correlate_block_gives_the_target_correlation() {
        use crate::simulate::model::SimRng;
        use rand::{RngExt, SeedableRng};
        use rand_distr::StandardNormal;
        let (n, paths) = (3, 100_000);
        let c = target();
        let l = Correlation::new(ids(n), c.clone())
            .unwrap()
            .cholesky_lower();
        let mut rng = SimRng::seed_from_u64(20240601);
        let z: Vec<f64> = (0..n * paths).map(|_| rng.sample(StandardNormal)).collect();
        let mut out = vec![0.0; n * paths];
        correlate_block(&l, &z, &mut out, paths).unwrap();
        let row = |i: usize| &out[i * paths..(i + 1) * paths];
        let mean = |i: usize| row(i).iter().sum::<f64>() / paths as f64;
        let cov = |i: usize, j: usize| {
            let (mi, mj) = (mean(i), mean(j));
            row(i)
                .iter()
                .zip(row(j))
                .map(|(a, b)| (a - mi) * (b - mj))
                .sum::<f64>()
                / (paths - 1) as f64
        };
        let sqrt_n = (paths as f64).sqrt();
        for i in 0..n {
            // Var of a sample variance of N(0,1): 2/n.
            let v = cov(i, i);
            assert!((v - 1.0).abs() < 4.5 * 2f64.sqrt() / sqrt_n, "var {i}: {v}");
            for j in i + 1..n {
                let rho = c[(i, j)];
                let r = cov(i, j) / (cov(i, i) * cov(j, j)).sqrt();
                let se = (1.0 - rho * rho) / sqrt_n;
                assert!((r - rho).abs() < 4.5 * se, "({i}, {j}): {r} vs {rho}");
            }
        }
    }

    #[test]
    fn serde_reads_rows_and_validates() {
        let ok: Correlation =
            serde_json::from_str(r#"{"ids":["a","b"],"rows":[[1,0.2],[0.2,1]]}"#).unwrap();
        assert_eq!(ok.matrix[(0, 1)], 0.2);
        assert_eq!(
            serde_json::to_string(&ok).unwrap(),
            r#"{"ids":["a","b"],"rows":[[1.0,0.2],[0.2,1.0]]}"#
        );
        let back: Correlation = serde_json::from_str(&serde_json::to_string(&ok).unwrap()).unwrap();
        assert_eq!(back, ok);
        let bad = serde_json::from_str::<Correlation>(r#"{"ids":["a","b"],"rows":[[1,2],[2,1]]}"#)
            .unwrap_err();
        assert!(
            bad.to_string()
                .contains("correlation[0][1] (a, b): must be in [-1, 1], got 2"),
            "{bad}"
        );
        let ragged = serde_json::from_str::<Correlation>(r#"{"ids":["a","b"],"rows":[[1,0],[0]]}"#)
            .unwrap_err();
        assert!(
            ragged
                .to_string()
                .contains("correlation[1][1] (b, b): row has 1"),
            "{ragged}"
        );
        let t: Correlation =
            toml::from_str("ids = [\"a\", \"b\"]\nrows = [[1.0, -0.4], [-0.4, 1.0]]\n").unwrap();
        assert_eq!(t.matrix[(1, 0)], -0.4);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        /// Symmetric from a diagonal and the upper triangle (row order).
        fn symmetric(n: usize, diag: &[f64], upper: &[f64]) -> DMatrix<f64> {
            let mut k = 0;
            let mut a = DMatrix::<f64>::zeros(n, n);
            for r in 0..n {
                a[(r, r)] = diag[r];
                for c in r + 1..n {
                    a[(r, c)] = upper[k];
                    a[(c, r)] = upper[k];
                    k += 1;
                }
            }
            a
        }

        fn check_repair(n: usize, a: DMatrix<f64>) -> std::result::Result<(), TestCaseError> {
            let (c, rep) = Correlation::nearest(ids(n), a.clone()).unwrap();
            assert_is_correlation(&c.matrix);
            prop_assert!(Correlation::new(c.ids.clone(), c.matrix.clone()).is_ok());
            // The identity is a correlation matrix, so the nearest is no farther.
            let d = frobenius(&(&c.matrix - &a));
            prop_assert!((d - rep.frobenius).abs() < 1e-12);
            let to_identity = frobenius(&(DMatrix::identity(n, n) - &a));
            prop_assert!(d <= to_identity + 1e-9, "{d} > {to_identity}");
            // The engine's factor reproduces it and has unit rows.
            let l = c.cholesky_lower();
            prop_assert!(
                max_abs(&(&l * l.transpose() - c.matrix())) < 2e-12,
                "{}",
                max_abs(&(&l * l.transpose() - c.matrix()))
            );
            Ok(())
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(64))]
            #[test]
            fn nearest_of_a_unit_diagonal_matrix_is_valid(
                n in 1usize..8,
                upper in proptest::collection::vec(-1.0f64..=1.0, 21),
            ) {
                check_repair(n, symmetric(n, &[1.0; 7], &upper))?;
            }

            #[test]
            fn nearest_of_any_symmetric_matrix_is_valid(
                n in 1usize..7,
                diag in proptest::collection::vec(-0.5f64..3.0, 6),
                upper in proptest::collection::vec(-3.0f64..=3.0, 15),
            ) {
                check_repair(n, symmetric(n, &diag, &upper))?;
            }
        }
    }
}
