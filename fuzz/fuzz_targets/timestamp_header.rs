//! Arbitrary bytes as a timestamp: no panic; `Ok` exactly for ASCII digits
//! (after trimming spaces and tabs) that fit in a u64, with their value.
#![no_main]

use hookwarden::timestamp::parse_timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let trimmed: &[u8] = {
        let start = data
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t'))
            .unwrap_or(data.len());
        let end = data
            .iter()
            .rposition(|b| !matches!(b, b' ' | b'\t'))
            .map_or(start, |e| e + 1);
        &data[start..end.max(start)]
    };
    let expected = if !trimmed.is_empty() && trimmed.iter().all(u8::is_ascii_digit) {
        std::str::from_utf8(trimmed)
            .ok()
            .and_then(|t| t.parse::<u64>().ok())
    } else {
        None
    };
    assert_eq!(parse_timestamp(data).ok(), expected, "{data:?}");
});
