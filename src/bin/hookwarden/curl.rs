//! The `curl` command `sign` prints: every argument quoted for a POSIX
//! shell, and a body that arrives byte for byte.

use http::{HeaderName, HeaderValue};

/// Where the printed command takes the body from.
pub enum Body<'a> {
    /// A file the command reads with `--data-binary @<path>`.
    File(&'a str),
    /// Bytes written into the command itself (the body came from standard
    /// input, which the printed command will not have).
    Inline(&'a [u8]),
}

/// `curl -sS --url … -X POST -H … --data-binary …`, preceded by
/// `printf '…' |` for an inline body.
pub fn command(url: &str, headers: &[(HeaderName, HeaderValue)], body: Body<'_>) -> String {
    let mut args = vec![
        "curl".to_owned(),
        "-sS".to_owned(),
        "--url".to_owned(),
        quote(url),
        "-X".to_owned(),
        "POST".to_owned(),
        "-H".to_owned(),
        quote("Content-Type: application/json"),
    ];
    for (name, value) in headers {
        args.push("-H".to_owned());
        args.push(quote(&format!(
            "{name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        )));
    }
    args.push("--data-binary".to_owned());
    match body {
        Body::File(path) => args.push(quote(&format!("@{path}"))),
        Body::Inline(_) => args.push("@-".to_owned()),
    }
    let curl = args.join(" ");
    match body {
        Body::File(_) => curl,
        Body::Inline(bytes) => format!("printf {} | {curl}", quote(&printf_format(bytes))),
    }
}

/// Quotes `arg` for a POSIX shell: inside single quotes nothing is special
/// but the single quote itself, written `'\''` (close, escaped quote, reopen).
pub fn quote(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', r"'\''"))
}

/// A `printf` format that writes exactly `bytes`: printable ASCII as is
/// (`%` and `\` doubled), every other byte as a three-digit octal escape,
/// so that the command is one line of ASCII whatever the body holds.
/// A leading `-` (which `printf` would take for an option) and a digit right
/// after an octal escape (which some shells would read as a fourth digit)
/// are escaped too.
fn printf_format(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut after_octal = false;
    for (i, &b) in bytes.iter().enumerate() {
        let octal = !(b' '..=b'~').contains(&b)
            || b == b'\''
            || (i == 0 && b == b'-')
            || (after_octal && b.is_ascii_digit());
        match b {
            _ if octal => out.push_str(&format!("\\{b:03o}")),
            b'%' => out.push_str("%%"),
            b'\\' => out.push_str("\\\\"),
            _ => out.push(char::from(b)),
        }
        after_octal = octal;
    }
    out
}
