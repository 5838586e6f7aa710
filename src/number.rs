//! How the crate writes a number for people and files: the shortest text
//! that reads back to the same `f64`, in exponent form when plain digits
//! would run long (`1e300`, not three hundred digits; `2.5e-9`, not
//! `0.0000000025`).

use std::fmt;

/// Writes the wrapped number as [the module](self) says: plain for
/// magnitudes from 1e-5 to below 1e16 (and zero), exponent form otherwise;
/// `NaN`, `inf` and `-inf` as Rust writes them.
///
/// ```
/// use attain::number::Short;
/// assert_eq!(Short(12.5).to_string(), "12.5");
/// assert_eq!(Short(1e300).to_string(), "1e300");
/// assert_eq!(Short(-2.5e-9).to_string(), "-2.5e-9");
/// assert_eq!("1e300".parse::<f64>().unwrap(), 1e300);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Short(pub f64);

impl fmt::Display for Short {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        let a = v.abs();
        if a.is_finite() && a != 0.0 && !(1e-5..1e16).contains(&a) {
            write!(f, "{v:e}")
        } else {
            write!(f, "{v}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Short;

    #[test]
    fn plain_in_range_exponent_outside_and_always_round_trips() {
        for (v, text) in [
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (1e-5, "0.00001"),
            (9.99e-6, "9.99e-6"),
            (9_999_999_999_999_998.0, "9999999999999998"),
            (1e16, "1e16"),
            (f64::MAX, "1.7976931348623157e308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (f64::INFINITY, "inf"),
        ] {
            assert_eq!(Short(v).to_string(), text);
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(Short(f64::NAN).to_string(), "NaN");
    }
}
