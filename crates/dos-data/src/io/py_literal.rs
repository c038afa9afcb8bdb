//! A small parser for Python literals as `repr()` writes them: dicts, lists, tuples, numbers,
//! strings, `True`/`False`/`None`, plus `nan`/`inf` and numpy's `array([...])` wrapper.
//!
//! This is what the cells of the phonon benchmark CSV contain (ASE `Atoms.todict()` printed by
//! Python). It is not a Python evaluator: only literal syntax is accepted. [`python_float`]
//! writes a float back as `repr` does.

use std::fmt;

/// A parsed Python literal.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    None,
    /// `True` / `False`.
    Bool(bool),
    /// An integer literal that fits in `i64`.
    Int(i64),
    /// A float literal (also `nan`, `inf`, `-inf`).
    Float(f64),
    /// A quoted string (single or double quotes, simple backslash escapes).
    Str(String),
    /// `[a, b, ...]`.
    List(Vec<PyValue>),
    /// `(a, b, ...)`.
    Tuple(Vec<PyValue>),
    /// `{k: v, ...}` in source order.
    Dict(Vec<(PyValue, PyValue)>),
    /// A call `name(args...)` such as `array([1.0, 2.0])`; keyword arguments are dropped.
    Call {
        /// The function name, e.g. `array`.
        name: String,
        /// Positional arguments.
        args: Vec<PyValue>,
    },
}

/// Why a Python literal could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyLiteralError {
    /// Byte offset in the input where the problem was found.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for PyLiteralError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for PyLiteralError {}

impl PyValue {
    /// Look up `key` in a dict with string keys.
    pub fn get(&self, key: &str) -> Option<&PyValue> {
        match self {
            PyValue::Dict(items) => items
                .iter()
                .find(|(k, _)| matches!(k, PyValue::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The elements of a list, a tuple or `array(list)`.
    pub fn as_seq(&self) -> Option<&[PyValue]> {
        match self {
            PyValue::List(v) | PyValue::Tuple(v) => Some(v),
            PyValue::Call { name, args } if name == "array" && args.len() == 1 => args[0].as_seq(),
            _ => None,
        }
    }

    /// A number as `f64` (ints are converted).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            PyValue::Float(x) => Some(*x),
            PyValue::Int(i) => Some(*i as f64),
            _ => None,
        }
    }

    /// An integer (floats with no fractional part are accepted, as numpy may print `26.`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            PyValue::Int(i) => Some(*i),
            PyValue::Float(x) if x.fract() == 0.0 && x.abs() < 9e15 => Some(*x as i64),
            _ => None,
        }
    }

    /// A short name of the value's type, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::None => "None",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::List(_) => "list",
            PyValue::Tuple(_) => "tuple",
            PyValue::Dict(_) => "dict",
            PyValue::Call { .. } => "call",
        }
    }
}

/// Parse one Python literal; surrounding whitespace is allowed, anything else after it is an
/// error.
///
/// # Errors
/// A [`PyLiteralError`] with the byte offset, e.g. for a truncated literal
/// (`"[1.0, 2.0"` gives "unexpected end of input, expected `,` or `]`").
pub fn parse_py_literal(text: &str) -> Result<PyValue, PyLiteralError> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
        depth: 0,
    };
    let v = p.value()?;
    p.skip_ws();
    if p.i < p.s.len() {
        return Err(p.err(format!(
            "unexpected `{}` after the literal",
            p.s[p.i] as char
        )));
    }
    Ok(v)
}

/// Deepest nesting accepted (guards against stack overflow on hostile input).
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, message: impl Into<String>) -> PyLiteralError {
        PyLiteralError {
            offset: self.i,
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.i).copied()
    }

    fn value(&mut self) -> Result<PyValue, PyLiteralError> {
        let Some(c) = self.peek() else {
            return Err(self.err("unexpected end of input, expected a value"));
        };
        match c {
            b'[' => self.sequence(b']').map(PyValue::List),
            b'(' => self.sequence(b')').map(PyValue::Tuple),
            b'{' => self.dict(),
            b'\'' | b'"' => self.string().map(PyValue::Str),
            b'-' | b'+' | b'.' | b'0'..=b'9' => self.number(),
            c if c.is_ascii_alphabetic() || c == b'_' => self.name(),
            c => Err(self.err(format!("unexpected `{}`", c as char))),
        }
    }

    fn enter(&mut self) -> Result<(), PyLiteralError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH}")));
        }
        Ok(())
    }

    /// After an item: step over a `,`, or stop before `close`; anything else is an error.
    fn item_separator(&mut self, close: u8) -> Result<(), PyLiteralError> {
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(())
            }
            Some(c) if c == close => Ok(()),
            None => Err(self.err(format!(
                "unexpected end of input, expected `,` or `{}` (truncated literal?)",
                close as char
            ))),
            Some(c) => Err(self.err(format!(
                "unexpected `{}`, expected `,` or `{}`",
                c as char, close as char
            ))),
        }
    }

    /// Items up to `close`, after the opening bracket at `self.i`; a trailing comma is allowed.
    fn sequence(&mut self, close: u8) -> Result<Vec<PyValue>, PyLiteralError> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.err(format!(
                        "unexpected end of input, expected a value or `{}` (truncated literal?)",
                        close as char
                    )))
                }
                Some(c) if c == close => {
                    self.i += 1;
                    break;
                }
                _ => {}
            }
            items.push(self.value()?);
            self.item_separator(close)?;
        }
        self.depth -= 1;
        Ok(items)
    }

    fn dict(&mut self) -> Result<PyValue, PyLiteralError> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            match self.peek() {
                None => {
                    return Err(self.err(
                        "unexpected end of input, expected a key or `}` (truncated literal?)",
                    ))
                }
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => {}
            }
            let key = self.value()?;
            match self.peek() {
                Some(b':') => self.i += 1,
                None => {
                    return Err(
                        self.err("unexpected end of input, expected `:` (truncated literal?)")
                    )
                }
                Some(c) => {
                    return Err(self.err(format!("unexpected `{}`, expected `:`", c as char)))
                }
            }
            let value = self.value()?;
            items.push((key, value));
            self.item_separator(b'}')?;
        }
        self.depth -= 1;
        Ok(PyValue::Dict(items))
    }

    fn string(&mut self) -> Result<String, PyLiteralError> {
        let quote = self.s[self.i];
        let start = self.i;
        self.i += 1;
        let mut out = Vec::new();
        while let Some(&c) = self.s.get(self.i) {
            self.i += 1;
            if c == quote {
                return String::from_utf8(out).map_err(|_| PyLiteralError {
                    offset: start,
                    message: "string is not valid UTF-8".into(),
                });
            }
            if c == b'\\' {
                let Some(&e) = self.s.get(self.i) else { break };
                self.i += 1;
                out.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    b'0' => 0,
                    other => other,
                });
            } else {
                out.push(c);
            }
        }
        Err(PyLiteralError {
            offset: start,
            message: "unterminated string (truncated literal?)".into(),
        })
    }

    fn number(&mut self) -> Result<PyValue, PyLiteralError> {
        let start = self.i;
        let mut j = self.i;
        if matches!(self.s.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        // `-inf` / `-nan`
        if self.s.get(j).is_some_and(|c| c.is_ascii_alphabetic()) {
            self.i = j;
            let v = self.name()?;
            let neg = self.s[start] == b'-';
            return match v {
                PyValue::Float(x) => Ok(PyValue::Float(if neg { -x } else { x })),
                _ => Err(PyLiteralError {
                    offset: start,
                    message: "a sign must be followed by a number".into(),
                }),
            };
        }
        let mut is_float = false;
        while let Some(&c) = self.s.get(j) {
            match c {
                b'0'..=b'9' | b'_' => {}
                b'.' | b'e' | b'E' => is_float = true,
                b'-' | b'+' if matches!(self.s[j - 1], b'e' | b'E') => {}
                _ => break,
            }
            j += 1;
        }
        self.i = j;
        let text = std::str::from_utf8(&self.s[start..j]).unwrap_or("");
        let bad = || PyLiteralError {
            offset: start,
            message: format!("invalid number `{text}`"),
        };
        if is_float {
            text.replace('_', "")
                .parse::<f64>()
                .map(PyValue::Float)
                .map_err(|_| bad())
        } else {
            match text.replace('_', "").parse::<i64>() {
                Ok(i) => Ok(PyValue::Int(i)),
                // Larger than i64: keep the value as a float rather than fail.
                Err(_) => text.parse::<f64>().map(PyValue::Float).map_err(|_| bad()),
            }
        }
    }

    fn name(&mut self) -> Result<PyValue, PyLiteralError> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
        {
            self.i += 1;
        }
        let name = std::str::from_utf8(&self.s[start..self.i]).unwrap_or("");
        match name {
            "True" => return Ok(PyValue::Bool(true)),
            "False" => return Ok(PyValue::Bool(false)),
            "None" => return Ok(PyValue::None),
            "nan" => return Ok(PyValue::Float(f64::NAN)),
            "inf" => return Ok(PyValue::Float(f64::INFINITY)),
            _ => {}
        }
        if self.peek() != Some(b'(') {
            return Err(PyLiteralError {
                offset: start,
                message: format!("unknown name `{name}`"),
            });
        }
        // A call such as `array([...])` or `array([...], dtype=float64)`.
        self.enter()?;
        self.i += 1;
        let mut args = Vec::new();
        loop {
            match self.peek() {
                None => {
                    return Err(
                        self.err("unexpected end of input, expected `)` (truncated literal?)")
                    )
                }
                Some(b')') => {
                    self.i += 1;
                    break;
                }
                _ => {}
            }
            // keyword argument `name=value`: parse and drop
            let save = self.i;
            let mut k = self.i;
            while self
                .s
                .get(k)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                k += 1;
            }
            let is_kw = k > save && self.s.get(k) == Some(&b'=');
            if is_kw {
                self.i = k + 1;
                if self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
                    // dtype=float64 and the like: a bare name
                    while self
                        .s
                        .get(self.i)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
                    {
                        self.i += 1;
                    }
                } else {
                    self.value()?;
                }
            } else {
                args.push(self.value()?);
            }
            self.item_separator(b')')?;
        }
        self.depth -= 1;
        Ok(PyValue::Call {
            name: name.to_string(),
            args,
        })
    }
}

/// A float as Python's `repr` writes it (shortest round-trip digits; scientific notation with
/// a signed, two-digit exponent below 1e-4 and from 1e16 on, e.g. `2.220446049250313e-16`).
pub fn python_float(x: f64) -> String {
    let a = x.abs();
    if a != 0.0 && a.is_finite() && !(1e-4..1e16).contains(&a) {
        let s = format!("{x:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exp.abs())
    } else {
        format!("{x:?}")
    }
}

pub(crate) fn python_list(values: &[f64]) -> String {
    let items: Vec<String> = values.iter().map(|&v| python_float(v)).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ase_dict() {
        let v = parse_py_literal(
            "{'numbers': [56, 52], 'positions': [[0.0, 0.0, 0.0], [2.220446049250313e-16, 6.02, -4.4e-16]], \
             'cell': [[1.0, 2.0, 3.0], (4, 5, 6), array([7., 8., 9.])], 'pbc': [True, False, True], 'x': None, \"s\": 'a\\'b'}",
        )
        .unwrap();
        let numbers: Vec<i64> = v
            .get("numbers")
            .unwrap()
            .as_seq()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        assert_eq!(numbers, [56, 52]);
        let pos = v.get("positions").unwrap().as_seq().unwrap();
        assert_eq!(
            pos[1].as_seq().unwrap()[0].as_f64(),
            Some(2.220446049250313e-16)
        );
        assert_eq!(pos[1].as_seq().unwrap()[2].as_f64(), Some(-4.4e-16));
        let cell = v.get("cell").unwrap().as_seq().unwrap();
        assert_eq!(cell[1].as_seq().unwrap()[2].as_f64(), Some(6.0));
        assert_eq!(cell[2].as_seq().unwrap()[1].as_f64(), Some(8.0));
        assert_eq!(
            v.get("pbc").unwrap().as_seq().unwrap()[1],
            PyValue::Bool(false)
        );
        assert_eq!(v.get("x"), Some(&PyValue::None));
        assert_eq!(v.get("s"), Some(&PyValue::Str("a'b".into())));
    }

    #[test]
    fn numbers_and_calls() {
        assert_eq!(
            parse_py_literal("-1.5E+3").unwrap(),
            PyValue::Float(-1500.0)
        );
        assert_eq!(parse_py_literal(" 42 ").unwrap(), PyValue::Int(42));
        assert_eq!(
            parse_py_literal("-inf").unwrap(),
            PyValue::Float(f64::NEG_INFINITY)
        );
        assert!(matches!(parse_py_literal("nan").unwrap(), PyValue::Float(x) if x.is_nan()));
        let a = parse_py_literal("array([1, 2], dtype=float64)").unwrap();
        assert_eq!(a.as_seq().unwrap().len(), 2);
        assert_eq!(
            parse_py_literal("[1, 2,]").unwrap().as_seq().unwrap().len(),
            2
        );
        assert_eq!(parse_py_literal("()").unwrap(), PyValue::Tuple(vec![]));
    }

    #[test]
    fn errors_have_offsets() {
        let e = parse_py_literal("[1.0, 2.0").unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
        assert_eq!(e.offset, 9);
        let e = parse_py_literal("{'a': [1, 2}").unwrap_err();
        assert!(e.message.contains("expected `,` or `]`"), "{e}");
        assert!(parse_py_literal("{'a' 1}").is_err());
        assert!(parse_py_literal("'abc")
            .unwrap_err()
            .message
            .contains("unterminated"));
        assert!(parse_py_literal("[1] 2")
            .unwrap_err()
            .message
            .contains("after the literal"));
        assert!(parse_py_literal("os.system('x')").is_ok_and(|v| matches!(v, PyValue::Call { .. })));
        assert!(parse_py_literal("foo").is_err());
        assert!(parse_py_literal("1.2.3").is_err());
        assert!(parse_py_literal(&"[".repeat(1000))
            .unwrap_err()
            .message
            .contains("nesting"));
    }

    #[test]
    fn python_floats_match_repr() {
        // python3 -c "print([repr(x) for x in (0.0, -0.0, 1.5, 2.220446049250313e-16, 1e16,
        //   1e-05, 0.0001, 123456.789, 1.5e+20, -3e-07)])"
        let cases = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.5, "1.5"),
            (2.220446049250313e-16, "2.220446049250313e-16"),
            (1e16, "1e+16"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (123456.789, "123456.789"),
            (1.5e20, "1.5e+20"),
            (-3e-7, "-3e-07"),
        ];
        for (x, s) in cases {
            assert_eq!(python_float(x), s);
        }
    }
}
