//! Arbitrary bytes as signature header values (0xFF splits instances), for
//! each scheme: no panic, the caps hold, and every digest returned is really
//! in the input after the scheme's prefix.
#![no_main]

use hookguard::signature::Signatures;
use hookguard::{SchemeKind, MAX_SIGNATURE_ENTRIES, MAX_SIGNATURE_HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = data.split(|b| *b == 0xFF).collect();
    for kind in [SchemeKind::Mittr, SchemeKind::Mitpo] {
        let Ok(parsed) = Signatures::parse(values.iter().copied(), kind) else {
            continue;
        };
        assert!(!parsed.is_empty());
        assert!(parsed.len() <= MAX_SIGNATURE_ENTRIES);
        assert_eq!(parsed.iter().count(), parsed.len());
        assert!(values.iter().all(|v| v.len() <= MAX_SIGNATURE_HEADER_LEN));
        let entries: usize = values
            .iter()
            .map(|v| {
                v.split(|b| matches!(b, b',' | b' ' | b'\t'))
                    .filter(|t| !t.is_empty())
                    .count()
            })
            .sum();
        assert!(
            entries <= MAX_SIGNATURE_ENTRIES,
            "{entries} entries accepted"
        );
        let lower: Vec<Vec<u8>> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
        for digest in parsed.iter() {
            let needle = format!("{}{}", kind.signature_prefix(), hex::encode(digest));
            assert!(
                lower
                    .iter()
                    .any(|v| v.windows(needle.len()).any(|w| w == needle.as_bytes())),
                "{needle} is not in the input"
            );
        }
    }
});
