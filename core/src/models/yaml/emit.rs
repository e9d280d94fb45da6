//! Writing YAML byte for byte as PyYAML's `safe_dump(d, default_flow_style=False)` does.

use std::collections::BTreeMap;

use super::resolve::resolves_to_non_string;
use super::YamlValue;
use crate::models::pyrepr::float_repr;

/// `yaml.safe_dump(root, default_flow_style=False)` (sorted keys) as PyYAML 6 writes it.
pub fn to_pyyaml_string(root: &BTreeMap<String, YamlValue>) -> String {
    let mut e = Emitter { out: String::new(), column: 0 };
    if root.is_empty() {
        return "{}\n".into();
    }
    e.write_map(root, 0, true);
    e.out.push('\n');
    e.out
}

/// PyYAML's `best_width`: plain and quoted scalars are broken at a space past this column.
const BEST_WIDTH: usize = 80;

struct Emitter {
    out: String,
    /// In characters, like PyYAML's; the output is ASCII (non-ASCII is escaped, `allow_unicode=False`).
    column: usize,
}

impl Emitter {
    fn push(&mut self, s: &str) {
        self.column += s.chars().count();
        self.out.push_str(s);
    }

    /// A new line indented to `indent` (none before the very first line).
    fn line(&mut self, indent: usize) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        self.column = 0;
        self.push(&" ".repeat(indent));
    }

    /// A block mapping whose keys sit at `indent`; `first_inline` when the first key follows `- `
    /// or starts the document.
    fn write_map(&mut self, map: &BTreeMap<String, YamlValue>, indent: usize, first_inline: bool) {
        for (i, (key, value)) in map.iter().enumerate() {
            if i > 0 || !first_inline {
                self.line(indent);
            }
            self.write_str(key, indent + 2, true);
            self.push(":");
            match value {
                YamlValue::Map(m) if !m.is_empty() => self.write_map(m, indent + 2, false),
                // A mapping's list is not indented ("indentless"), as PyYAML does.
                YamlValue::Seq(s) if !s.is_empty() => self.write_seq(s, indent, false),
                _ => self.write_scalar(value, indent + 2),
            }
        }
    }

    fn write_seq(&mut self, seq: &[YamlValue], indent: usize, first_inline: bool) {
        for (i, item) in seq.iter().enumerate() {
            if i > 0 || !first_inline {
                self.line(indent);
            }
            self.push("-");
            match item {
                YamlValue::Map(m) if !m.is_empty() => {
                    self.push(" ");
                    self.write_map(m, indent + 2, true);
                }
                YamlValue::Seq(s) if !s.is_empty() => {
                    self.push(" ");
                    self.write_seq(s, indent + 2, true);
                }
                _ => self.write_scalar(item, indent + 2),
            }
        }
    }

    /// A scalar (or an empty collection, which PyYAML writes in flow style) after `key:` or `-`.
    fn write_scalar(&mut self, value: &YamlValue, indent: usize) {
        match value {
            YamlValue::Null => self.push(" null"),
            YamlValue::Bool(b) => self.push(if *b { " true" } else { " false" }),
            YamlValue::Int(i) => self.push(&format!(" {i}")),
            YamlValue::Float(f) => self.push(&format!(" {}", yaml_float(*f))),
            YamlValue::Str(s) => self.write_str(s, indent, false),
            YamlValue::Seq(_) => self.push(" []"),
            YamlValue::Map(_) => self.push(" {}"),
        }
    }

    /// A string in the style PyYAML's `choose_scalar_style` picks. Keys never wrap.
    fn write_str(&mut self, s: &str, indent: usize, simple_key: bool) {
        let a = analyze(s);
        // Keys follow their indentation or `- ` directly; values follow `:` or `-` after a space.
        let sep = if simple_key { "" } else { " " };
        let plain_ok = !resolves_to_non_string(s) && a.allow_block_plain && !(simple_key && (a.empty || a.multiline));
        if plain_ok {
            self.push(sep);
            self.write_plain(s, indent, !simple_key);
        } else if a.allow_single_quoted && !(simple_key && a.multiline) {
            self.push(sep);
            self.write_single_quoted(s, indent, !simple_key);
        } else {
            self.push(sep);
            self.write_double_quoted(s, indent, !simple_key);
        }
    }

    /// PyYAML's `write_indent` in the middle of a scalar: a line break, then the indentation.
    fn wrap(&mut self, indent: usize) {
        self.out.push('\n');
        self.column = 0;
        self.push(&" ".repeat(indent));
    }

    fn write_plain(&mut self, text: &str, indent: usize, split: bool) {
        // Plain scalars never hold line breaks (the analysis forbids it), only spaces to wrap at.
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end, mut spaces) = (0usize, 0usize, false);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split {
                        self.wrap(indent);
                    } else {
                        self.push(&chars[start..end].iter().collect::<String>());
                    }
                    start = end;
                }
            } else if ch.is_none() || ch == Some(' ') {
                self.push(&chars[start..end].iter().collect::<String>());
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
            }
            end += 1;
        }
    }

    fn write_single_quoted(&mut self, text: &str, indent: usize, split: bool) {
        self.push("'");
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end, mut spaces, mut breaks) = (0usize, 0usize, false, false);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            if spaces {
                if ch != Some(' ') {
                    if start + 1 == end && self.column > BEST_WIDTH && split && start != 0 && end != chars.len() {
                        self.wrap(indent);
                    } else {
                        self.push(&chars[start..end].iter().collect::<String>());
                    }
                    start = end;
                }
            } else if breaks {
                if !matches!(ch, Some(c) if is_break(c)) {
                    if chars[start] == '\n' {
                        self.out.push('\n');
                    }
                    for &br in &chars[start..end] {
                        self.out.push(br);
                    }
                    self.column = 0;
                    self.push(&" ".repeat(indent));
                    start = end;
                }
            } else if (matches!(ch, None | Some(' ') | Some('\'')) || matches!(ch, Some(c) if is_break(c)))
                && start < end
            {
                self.push(&chars[start..end].iter().collect::<String>());
                start = end;
            }
            if ch == Some('\'') {
                self.push("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == ' ';
                breaks = is_break(c);
            }
            end += 1;
        }
        self.push("'");
    }

    fn write_double_quoted(&mut self, text: &str, indent: usize, split: bool) {
        self.push("\"");
        let chars: Vec<char> = text.chars().collect();
        let (mut start, mut end) = (0usize, 0usize);
        while end <= chars.len() {
            let ch = chars.get(end).copied();
            let escape = match ch {
                None => true,
                Some(c) => {
                    matches!(c, '"' | '\\' | '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
                        || !(' '..='~').contains(&c)
                }
            };
            if escape {
                if start < end {
                    self.push(&chars[start..end].iter().collect::<String>());
                    start = end;
                }
                if let Some(c) = ch {
                    let data = match c {
                        '\0' => "\\0".to_string(),
                        '\u{07}' => "\\a".to_string(),
                        '\u{08}' => "\\b".to_string(),
                        '\t' => "\\t".to_string(),
                        '\n' => "\\n".to_string(),
                        '\u{0b}' => "\\v".to_string(),
                        '\u{0c}' => "\\f".to_string(),
                        '\r' => "\\r".to_string(),
                        '\u{1b}' => "\\e".to_string(),
                        '"' => "\\\"".to_string(),
                        '\\' => "\\\\".to_string(),
                        '\u{85}' => "\\N".to_string(),
                        '\u{a0}' => "\\_".to_string(),
                        '\u{2028}' => "\\L".to_string(),
                        '\u{2029}' => "\\P".to_string(),
                        c if (c as u32) <= 0xff => format!("\\x{:02X}", c as u32),
                        c if (c as u32) <= 0xffff => format!("\\u{:04X}", c as u32),
                        c => format!("\\U{:08X}", c as u32),
                    };
                    self.push(&data);
                    start = end + 1;
                }
            }
            if 0 < end
                && end + 1 < chars.len()
                && (ch == Some(' ') || start >= end)
                && self.column + end.saturating_sub(start) > BEST_WIDTH
                && split
            {
                let mut data: String = if start < end { chars[start..end].iter().collect() } else { String::new() };
                data.push('\\');
                if start < end {
                    start = end;
                }
                self.push(&data);
                self.wrap(indent);
                if chars[start] == ' ' {
                    self.push("\\");
                }
            }
            end += 1;
        }
        self.push("\"");
    }
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// PyYAML's `represent_float`.
pub(super) fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf".into() } else { "-.inf".into() };
    }
    let repr = float_repr(f).to_lowercase();
    if !repr.contains('.') && repr.contains('e') {
        repr.replacen('e', ".0e", 1)
    } else {
        repr
    }
}

struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

/// PyYAML's `Emitter.analyze_scalar`, block context, `allow_unicode=False`.
fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis { empty: true, multiline: false, allow_block_plain: true, allow_single_quoted: true };
    }
    let chars: Vec<char> = s.chars().collect();
    let ws = |c: char| matches!(c, '\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}');
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break, mut previous_space, mut previous_break) = (false, false, false, false);
    let mut preceded_by_ws = true;
    let mut followed_by_ws = chars.len() == 1 || ws(chars[1]);
    for (i, &c) in chars.iter().enumerate() {
        if i == 0 {
            if "#,[]{}&*!|>'\"%@`".contains(c) {
                block_indicators = true;
            }
            if (c == '?' || c == ':') && followed_by_ws {
                block_indicators = true;
            }
            if c == '-' && followed_by_ws {
                block_indicators = true;
            }
        } else {
            if c == ':' && followed_by_ws {
                block_indicators = true;
            }
            if c == '#' && preceded_by_ws {
                block_indicators = true;
            }
        }
        if is_break(c) {
            line_breaks = true;
        }
        if !(c == '\n' || (' '..='~').contains(&c)) {
            // Without allow_unicode every non-ASCII character is "special": double quotes only.
            special = true;
        }
        if c == ' ' {
            leading_space |= i == 0;
            trailing_space |= i == chars.len() - 1;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            leading_break |= i == 0;
            trailing_break |= i == chars.len() - 1;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_ws = ws(c);
        followed_by_ws = i + 2 >= chars.len() || ws(chars[i + 2]);
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis { empty: false, multiline: line_breaks, allow_block_plain, allow_single_quoted }
}
