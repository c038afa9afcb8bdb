//! Minimal RFC 4180 CSV splitting (quoted fields, `""` escapes, newlines inside quotes), with
//! the 1-based line number where each record starts.

use std::borrow::Cow;

/// One CSV record: the line it starts on (1-based) and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRecord<'a> {
    /// 1-based line number of the record's first character.
    pub line: usize,
    /// Unquoted field values.
    pub fields: Vec<Cow<'a, str>>,
}

/// Why a CSV text could not be split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    /// 1-based line where the problem starts.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Split `text` into records. Empty lines are skipped; a trailing newline is optional.
///
/// # Errors
/// [`CsvError`] for a quote that is never closed or text after a closing quote.
pub fn split_records(text: &str) -> Result<Vec<CsvRecord<'_>>, CsvError> {
    let b = text.as_bytes();
    let mut records = Vec::new();
    let mut i = 0;
    let mut line = 1;
    while i < b.len() {
        if b[i] == b'\n' || b[i] == b'\r' {
            if b[i] == b'\n' {
                line += 1;
            }
            i += 1;
            continue;
        }
        let start_line = line;
        let mut fields = Vec::new();
        loop {
            // one field starting at i
            if b.get(i) == Some(&b'"') {
                let open_line = line;
                let start = i + 1;
                let mut j = start;
                let mut has_escape = false;
                loop {
                    match b.get(j) {
                        None => {
                            return Err(CsvError {
                                line: open_line,
                                message: "quoted field is never closed (truncated file?)".into(),
                            })
                        }
                        Some(b'"') if b.get(j + 1) == Some(&b'"') => {
                            has_escape = true;
                            j += 2;
                        }
                        Some(b'"') => break,
                        Some(b'\n') => {
                            line += 1;
                            j += 1;
                        }
                        Some(_) => j += 1,
                    }
                }
                let raw = &text[start..j];
                fields.push(if has_escape {
                    Cow::Owned(raw.replace("\"\"", "\""))
                } else {
                    Cow::Borrowed(raw)
                });
                i = j + 1;
                match b.get(i) {
                    None | Some(b',' | b'\n' | b'\r') => {}
                    Some(c) => {
                        return Err(CsvError {
                            line,
                            message: format!("unexpected `{}` after a closing quote", *c as char),
                        })
                    }
                }
            } else {
                let start = i;
                while i < b.len() && !matches!(b[i], b',' | b'\n' | b'\r') {
                    i += 1;
                }
                fields.push(Cow::Borrowed(&text[start..i]));
            }
            match b.get(i) {
                Some(b',') => i += 1,
                _ => break,
            }
        }
        records.push(CsvRecord {
            line: start_line,
            fields,
        });
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_and_lines() {
        let t = "a,b\n\"x, \"\"y\"\"\",2\r\n\n\"multi\nline\",3\nlast,\n";
        let r = split_records(t).unwrap();
        assert_eq!(r.len(), 4);
        assert_eq!(r[1].fields, ["x, \"y\"", "2"]);
        assert_eq!((r[2].line, r[2].fields[0].as_ref()), (4, "multi\nline"));
        assert_eq!((r[3].line, r[3].fields.len()), (6, 2));
        assert_eq!(split_records("a,\"open\n").unwrap_err().line, 1);
        assert!(split_records("\"a\"b,c").is_err());
    }
}
