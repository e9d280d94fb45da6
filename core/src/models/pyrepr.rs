//! Python's text forms of numbers and JSON, so what we write is what MLflow (Python) writes:
//! `repr(float)` and `json.dumps` with its default separators (`", "`, `": "`) and `ensure_ascii`.

/// Python's `repr(float)` for finite values: shortest round-trip digits, fixed notation for
/// exponents -4..16, otherwise `1e-05` / `1.5e+16` (at least two exponent digits).
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest round-trip digits, e.g. "1.2345e-5", "-2e20", "0e0".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').expect("LowerExp always has an exponent");
    let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let body = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if point as usize >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            let (int, frac) = digits.split_at(point as usize);
            format!("{int}.{frac}")
        };
        format!("{sign}{body}")
    } else {
        let (first, rest) = digits.split_at(1);
        let mant = if rest.is_empty() { first.to_string() } else { format!("{first}.{rest}") };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mant}e{exp_sign}{:02}", exp.abs())
    }
}

/// A JSON value that keeps its keys in the order they were given: MLflow's signature JSON has a
/// fixed, unsorted key order (`type`, `name`, `required`) that a sorted map would lose.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderedJson {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<OrderedJson>),
    Object(Vec<(String, OrderedJson)>),
}

impl OrderedJson {
    /// Object keys come out sorted (serde_json's map); only used for free-form values such as
    /// parameter defaults, where MLflow keeps whatever order the user gave.
    pub fn from_value(v: &serde_json::Value) -> OrderedJson {
        match v {
            serde_json::Value::Null => OrderedJson::Null,
            serde_json::Value::Bool(b) => OrderedJson::Bool(*b),
            serde_json::Value::Number(n) => OrderedJson::Number(n.clone()),
            serde_json::Value::String(s) => OrderedJson::String(s.clone()),
            serde_json::Value::Array(a) => OrderedJson::Array(a.iter().map(OrderedJson::from_value).collect()),
            serde_json::Value::Object(o) => {
                OrderedJson::Object(o.iter().map(|(k, v)| (k.clone(), OrderedJson::from_value(v))).collect())
            }
        }
    }

    pub fn obj(pairs: Vec<(&str, OrderedJson)>) -> OrderedJson {
        OrderedJson::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    pub fn str(s: &str) -> OrderedJson {
        OrderedJson::String(s.to_string())
    }

    /// `json.dumps(value)` with Python's defaults.
    pub fn to_python_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// `json.dumps(value, indent=indent)`: one item per line, separators `","` and `": "`,
    /// empty lists and objects stay `[]` / `{}` (MLflow's `serving_input_example.json`).
    pub fn to_python_json_indented(&self, indent: usize) -> String {
        let mut out = String::new();
        self.write_indented(&mut out, indent, 0);
        out
    }

    fn write_indented(&self, out: &mut String, indent: usize, level: usize) {
        let newline = |out: &mut String, level: usize| {
            out.push('\n');
            out.push_str(&" ".repeat(indent * level));
        };
        match self {
            OrderedJson::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    item.write_indented(out, indent, level + 1);
                }
                newline(out, level);
                out.push(']');
            }
            OrderedJson::Object(pairs) if !pairs.is_empty() => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    newline(out, level + 1);
                    write_json_string(k, out);
                    out.push_str(": ");
                    v.write_indented(out, indent, level + 1);
                }
                newline(out, level);
                out.push('}');
            }
            scalar_or_empty => scalar_or_empty.write(out),
        }
    }

    fn write(&self, out: &mut String) {
        match self {
            OrderedJson::Null => out.push_str("null"),
            OrderedJson::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            OrderedJson::Number(n) => match n.as_f64() {
                Some(f) if n.is_f64() => out.push_str(&json_float(f)),
                _ => out.push_str(&n.to_string()),
            },
            OrderedJson::String(s) => write_json_string(s, out),
            OrderedJson::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.write(out);
                }
                out.push(']');
            }
            OrderedJson::Object(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_json_string(k, out);
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// `json.dumps(float)`: `float.__repr__`, with Python's names for the non-finite values.
fn json_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        }
    } else {
        float_repr(f)
    }
}

/// A JSON string as `json.dumps` writes it with `ensure_ascii=True`.
fn write_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_as_python_repr() {
        for (f, s) in [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (-2.5e-10, "-2.5e-10"),
            (123456789.0, "123456789.0"),
            (1.5e300, "1.5e+300"),
        ] {
            assert_eq!(float_repr(f), s, "{f}");
        }
    }

    #[test]
    fn json_uses_python_separators_and_ascii() {
        let v = OrderedJson::obj(vec![("b", OrderedJson::str("é\u{1F600}")), ("a", OrderedJson::Array(vec![]))]);
        assert_eq!(v.to_python_json(), r#"{"b": "\u00e9\ud83d\ude00", "a": []}"#);
    }
}
