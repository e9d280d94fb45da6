//! PyYAML's (YAML 1.1) implicit resolvers: which plain scalars are not strings.

/// Would PyYAML's (YAML 1.1) implicit resolvers read this plain scalar as something other than a
/// string (null, bool, int, float, timestamp, merge `<<`, value `=`)? Then it must be quoted.
pub fn resolves_to_non_string(s: &str) -> bool {
    matches!(s, "" | "~" | "null" | "Null" | "NULL" | "<<" | "=")
        || matches!(
            s,
            "yes"
                | "Yes"
                | "YES"
                | "no"
                | "No"
                | "NO"
                | "true"
                | "True"
                | "TRUE"
                | "false"
                | "False"
                | "FALSE"
                | "on"
                | "On"
                | "ON"
                | "off"
                | "Off"
                | "OFF"
        )
        || is_yaml11_int(s)
        || is_yaml11_float(s)
        || is_yaml11_timestamp(s)
}

fn strip_sign(s: &str) -> &str {
    s.strip_prefix(['-', '+']).unwrap_or(s)
}

fn all(s: &str, f: impl Fn(char) -> bool) -> bool {
    !s.is_empty() && s.chars().all(f)
}

/// `(?::[0-5]?[0-9])+` over the whole of `s`.
fn is_sexagesimal_tail(s: &str) -> bool {
    let Some(rest) = s.strip_prefix(':') else { return false };
    rest.split(':').all(|part| match part.as_bytes() {
        [d] => d.is_ascii_digit(),
        [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
        _ => false,
    })
}

pub(super) fn is_yaml11_int(s: &str) -> bool {
    let u = strip_sign(s);
    if let Some(b) = u.strip_prefix("0b") {
        return all(b, |c| matches!(c, '0' | '1' | '_'));
    }
    if let Some(x) = u.strip_prefix("0x") {
        return all(x, |c| c.is_ascii_hexdigit() || c == '_');
    }
    if u == "0" || (u.starts_with('0') && all(&u[1..], |c| ('0'..='7').contains(&c) || c == '_')) {
        return true;
    }
    if u.starts_with(|c: char| ('1'..='9').contains(&c)) {
        let head_len = u.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(u.len());
        let tail = &u[head_len..];
        return tail.is_empty() || is_sexagesimal_tail(tail);
    }
    false
}

/// `[eE][-+][0-9]+` or nothing.
fn is_exponent_or_empty(s: &str) -> bool {
    if s.is_empty() {
        return true;
    }
    let Some(rest) = s.strip_prefix(['e', 'E']) else { return false };
    let Some(digits) = rest.strip_prefix(['-', '+']) else { return false };
    all(digits, |c| c.is_ascii_digit())
}

pub(super) fn is_yaml11_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let u = strip_sign(s);
    if matches!(u, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    // \.[0-9][0-9_]*(exp)? — without a sign.
    if let Some(frac) = s.strip_prefix('.') {
        if frac.starts_with(|c: char| c.is_ascii_digit()) {
            let n = frac.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(frac.len());
            return is_exponent_or_empty(&frac[n..]);
        }
        return false;
    }
    if !u.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let n = u.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(u.len());
    let rest = &u[n..];
    if let Some(frac) = rest.strip_prefix('.') {
        // [0-9][0-9_]*\.[0-9_]*(exp)?
        let m = frac.find(|c: char| !(c.is_ascii_digit() || c == '_')).unwrap_or(frac.len());
        return is_exponent_or_empty(&frac[m..]);
    }
    // [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*
    match rest.find('.') {
        Some(dot) => {
            is_sexagesimal_tail(&rest[..dot]) && rest[dot + 1..].chars().all(|c| c.is_ascii_digit() || c == '_')
        }
        None => false,
    }
}

fn is_yaml11_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, n: usize| b.len() >= from + n && b[from..from + n].iter().all(u8::is_ascii_digit);
    // YYYY-MM-DD exactly.
    if b.len() == 10 && digits(0, 4) && b[4] == b'-' && digits(5, 2) && b[7] == b'-' && digits(8, 2) {
        return true;
    }
    // YYYY-M[M]-D[D](T|t|[ \t]+)H[H]:MM:SS(.f*)?([ \t]*(Z|[-+]H[H](:MM)?))?
    let mut i = 0;
    let take_digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start >= min
    };
    let take = |i: &mut usize, c: u8| -> bool {
        if *i < b.len() && b[*i] == c {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(take_digits(&mut i, 4, 4) && take(&mut i, b'-') && take_digits(&mut i, 1, 2) && take(&mut i, b'-')) {
        return false;
    }
    if !take_digits(&mut i, 1, 2) {
        return false;
    }
    if i < b.len() && (b[i] == b'T' || b[i] == b't') {
        i += 1;
    } else {
        let start = i;
        while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(take_digits(&mut i, 1, 2) && take(&mut i, b':') && take_digits(&mut i, 2, 2) && take(&mut i, b':')) {
        return false;
    }
    if !take_digits(&mut i, 2, 2) {
        return false;
    }
    if take(&mut i, b'.') {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    if i == b.len() {
        return true;
    }
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    if take(&mut i, b'Z') {
        return i == b.len();
    }
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
        if !take_digits(&mut i, 1, 2) {
            return false;
        }
        if take(&mut i, b':') && !take_digits(&mut i, 2, 2) {
            return false;
        }
        return i == b.len();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_resolution_matches_pyyaml() {
        for s in [
            "",
            "~",
            "null",
            "yes",
            "No",
            "on",
            "OFF",
            "1",
            "-1",
            "+1",
            "010",
            "0x1F",
            "0b101",
            "1_000",
            "1:30",
            "190:20:30",
            "3.10",
            "2.0",
            ".5",
            "1.0e+3",
            ".inf",
            "-.inf",
            ".nan",
            "2024-02-01",
            "2026-11-23 18:50:32.373752",
            "2026-11-23T18:50:32Z",
            "2026-11-23 18:50:32 +01:00",
            "<<",
            "=",
            "1.",
        ] {
            assert!(resolves_to_non_string(s), "{s:?} should resolve to a non-string");
        }
        for s in ["y", "n", "0o17", "1e3", "3.11.7", "1.23.2", "abc", "0x", "1:60", "2024-2-1", "e", "-", ".", "08a"] {
            assert!(!resolves_to_non_string(s), "{s:?} should stay a string");
        }
    }
}
