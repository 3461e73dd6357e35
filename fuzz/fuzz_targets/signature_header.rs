//! Arbitrary bytes as signature header values (0xFF splits instances), for
//! every preset: no panic, the caps hold, and every signature returned is
//! really in the input after its method's label.
#![no_main]

use base64::Engine as _;
use hookwarden::scheme::Encoding;
use hookwarden::signature::Signatures;
use hookwarden::{Scheme, MAX_SIGNATURE_ENTRIES, MAX_SIGNATURE_HEADER_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let values: Vec<&[u8]> = data.split(|b| *b == 0xFF).collect();
    for name in Scheme::PRESETS {
        let scheme = Scheme::preset(name).unwrap();
        let Ok(parsed) = Signatures::parse(values.iter().copied(), &scheme) else {
            continue;
        };
        assert!(!parsed.is_empty());
        assert!(parsed.len() <= MAX_SIGNATURE_ENTRIES);
        assert!(parsed.iter().count() <= parsed.len());
        assert!(values.iter().all(|v| v.len() <= MAX_SIGNATURE_HEADER_LEN));
        let format = scheme.signature_format();
        let lower: Vec<Vec<u8>> = values.iter().map(|v| v.to_ascii_lowercase()).collect();
        let raw: Vec<Vec<u8>> = values.iter().map(|v| v.to_vec()).collect();
        for (method, bytes) in parsed.iter() {
            let label = match format.label_separator() {
                Some(sep) => format!("{}{}", scheme.methods()[method].label(), sep as char),
                None => String::new(),
            };
            let (needle, haystack) = match format.value_encoding() {
                Encoding::Hex => (format!("{label}{}", hex::encode(bytes)), &lower),
                _ => {
                    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                    (format!("{label}{b64}"), &raw)
                }
            };
            assert!(
                haystack.iter().any(|v| v
                    .windows(needle.len())
                    .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))),
                "{name}: {needle} is not in the input"
            );
        }
    }
});
