//! Helpers shared by the integration tests.

// Each test binary compiles this module and uses a part of it.
#![allow(dead_code)]

/// `text` with byte-level edits (replace, insert, delete) applied at the
/// given positions, read back as UTF-8 (lossily: a reader gets text).
pub fn mutate(text: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for &(at, op, byte) in edits {
        let at = at % (bytes.len() + 1);
        match op {
            0 if at < bytes.len() => bytes[at] = byte,
            1 => bytes.insert(at, byte),
            _ if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Asserts |estimate - exact| within 4.5 standard errors.
pub fn assert_close(p: f64, se: f64, exact: f64, what: &str) {
    assert!(
        (p - exact).abs() <= 4.5 * se.max(1e-12),
        "{what}: {p} vs exact {exact} (se {se})"
    );
}
