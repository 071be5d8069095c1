//! RFC 4180 CSV, as banks and vendors export it: fields separated by commas, quoted with
//! `"` (a doubled `""` inside), lines ended by CRLF or LF. Shared by the bank statements
//! and the USB keys' delivery lists; each caller says what a bad file means to it.

/// A quote opened on line `line` and never closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnclosedQuote {
    pub line: usize,
}

/// The records of `text`, each with the number of the line it starts on.
pub fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, UnclosedQuote> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut start = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push((start, std::mem::take(&mut record)));
                line += 1;
                start = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(UnclosedQuote { line: start });
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((start, record));
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_crlf_and_an_unclosed_quote() {
        let text = "a,\"b,\"\"c\"\"\"\r\n\"multi\nline\",x\nlast";
        assert_eq!(
            records(text).unwrap(),
            vec![
                (1, vec!["a".to_string(), "b,\"c\"".to_string()]),
                (2, vec!["multi\nline".to_string(), "x".to_string()]),
                (4, vec!["last".to_string()]),
            ]
        );
        assert_eq!(records("a\n\"open,x"), Err(UnclosedQuote { line: 2 }));
    }
}
