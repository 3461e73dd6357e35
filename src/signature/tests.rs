use super::*;

const HEX: &str = "f510c5a0a56d977bdbb1abc55b09d505a26dabc53fc63213e60df332175426b6";
const OTHER: &str = "672a3a2667a4ea89f017f674292eb02a57b79e413827bab03f50cc4fa0553023";

fn scheme_for(prefix: &str) -> Scheme {
    match prefix {
        "v1=" => Scheme::mittr(),
        "sha256=" => Scheme::mitpo(),
        "github" => Scheme::github(),
        "stripe" => Scheme::stripe(),
        "sw" => Scheme::standard_webhooks(),
        "shopify" => Scheme::shopify(),
        _ => unreachable!("{prefix}"),
    }
}

fn parse(values: &[&str], prefix: &str) -> Result<Vec<String>, Malformed> {
    let parsed = Signatures::parse(values.iter().map(|v| v.as_bytes()), &scheme_for(prefix))?;
    Ok(parsed.iter().map(|(_, bytes)| hex::encode(bytes)).collect())
}

fn no_signature(prefix: &str) -> Malformed {
    Malformed::NoSignature {
        expected: EntryShape::signature(&scheme_for(prefix)),
    }
}

#[test]
fn reads_a_single_entry() {
    assert_eq!(parse(&[&format!("v1={HEX}")], "v1=").unwrap(), [HEX]);
}

#[test]
fn keeps_every_entry_not_only_the_last() {
    let got = parse(&[&format!("v1={HEX},v1={OTHER} v1={HEX}")], "v1=").unwrap();
    assert_eq!(got, [HEX, OTHER, HEX]);
}

#[test]
fn reads_several_header_instances_together() {
    let got = parse(&[&format!("v1={HEX}"), &format!("v1={OTHER}")], "v1=").unwrap();
    assert_eq!(got, [HEX, OTHER]);
}

#[test]
fn accepts_mixed_separators_and_surrounding_whitespace() {
    let got = parse(&[&format!(" ,\tv1={HEX} , ,v1={OTHER}\t")], "v1=").unwrap();
    assert_eq!(got, [HEX, OTHER]);
}

#[test]
fn hex_is_case_insensitive() {
    let got = parse(&[&format!("sha256={}", HEX.to_uppercase())], "sha256=").unwrap();
    assert_eq!(got, [HEX]);
}

#[test]
fn ignores_other_versions() {
    let got = parse(&[&format!("v0=zz v2={OTHER} v1={HEX}")], "v1=").unwrap();
    assert_eq!(got, [HEX]);
}

#[test]
fn rejects_a_header_with_only_other_versions() {
    assert_eq!(
        parse(&[&format!("sha256={HEX}")], "v1="),
        Err(no_signature("v1="))
    );
    assert_eq!(parse(&[HEX], "sha256="), Err(no_signature("sha256=")));
    assert_eq!(no_signature("v1=").to_string(), "no `v1=<hex>` entry");
    assert_eq!(no_signature("sw").to_string(), "no `v1,<base64>` entry");
}

#[test]
fn rejects_only_separators() {
    assert_eq!(parse(&[" , ,, "], "v1="), Err(no_signature("v1=")));
    assert_eq!(parse(&[""], "v1="), Err(no_signature("v1=")));
}

#[test]
fn rejects_truncated_signature() {
    assert_eq!(
        parse(&[&format!("v1={}", &HEX[..62])], "v1="),
        Err(Malformed::WrongLength {
            found: 62,
            expected: 64
        })
    );
    assert_eq!(
        parse(&["v1="], "v1="),
        Err(Malformed::WrongLength {
            found: 0,
            expected: 64
        })
    );
}

#[test]
fn rejects_overlong_and_odd_length_signatures() {
    assert_eq!(
        parse(&[&format!("v1={HEX}ab")], "v1="),
        Err(Malformed::WrongLength {
            found: 66,
            expected: 64
        })
    );
    assert_eq!(
        parse(&[&format!("v1={}", &HEX[..63])], "v1="),
        Err(Malformed::WrongLength {
            found: 63,
            expected: 64
        })
    );
}

#[test]
fn rejects_non_hex_signature() {
    assert_eq!(
        parse(&[&format!("v1={}", "z".repeat(64))], "v1="),
        Err(Malformed::InvalidHex)
    );
    assert_eq!(
        parse(
            &["sha256=VthJucs8pWCVXwHWm5ccd1aZzzKCahZ05pFm3W57PKQ="],
            "sha256="
        ),
        Err(Malformed::InvalidHex)
    );
    // A bad entry poisons the header even when a good one is present.
    assert_eq!(
        parse(&[&format!("v1=xyz,v1={HEX}")], "v1="),
        Err(Malformed::InvalidHex)
    );
}

#[test]
fn lenient_formats_skip_unusable_entries() {
    // Stripe: `v1=potato` beside a valid entry; only `,` separates.
    let got = parse(&[&format!("t=1,v1=potato,v1={HEX}")], "stripe").unwrap();
    assert_eq!(got, [HEX]);
    assert_eq!(
        Signatures::parse([b"t=1,v1=".as_slice()], &Scheme::stripe())
            .unwrap()
            .len(),
        1
    );
    assert!(parse(&[&format!("t=1, v1={HEX}")], "stripe").is_err());
    // GitHub: not hex is malformed, hex of the wrong length just fails.
    assert_eq!(parse(&["sha256=yo"], "github"), Err(Malformed::InvalidHex));
    assert_eq!(
        parse(&[&format!("sha256={}", &HEX[..10])], "github")
            .unwrap()
            .len(),
        0
    );
    // Standard Webhooks: base64, space-separated, `v1a` and others beside.
    let b64 = "tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";
    let got = parse(&[&format!("garbage v2,xyz v1,bad v1,{b64}")], "sw").unwrap();
    assert_eq!(got.len(), 1);
    // Shopify: the whole value, base64.
    assert_eq!(parse(&[b64], "shopify").unwrap().len(), 1);
    assert_eq!(parse(&["fake"], "shopify").unwrap().len(), 0);
}

#[test]
fn hex_decoding_agrees_with_the_hex_crate_on_every_digit_pair() {
    let digits = b"0123456789abcdefABCDEFgG/:@`";
    for &a in digits {
        for &b in digits {
            let text = [a, b].repeat(32);
            let mut ours = [0u8; 32];
            let ours = decode_hex(&text, &mut ours).ok().map(|()| ours.to_vec());
            let reference = hex::decode(&text).ok();
            assert_eq!(ours, reference, "{}", a as char);
        }
    }
}

#[test]
fn base64_decoding_agrees_with_the_base64_crate() {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    for seed in 0u8..64 {
        let bytes: Vec<u8> = (0..32)
            .map(|i| seed.wrapping_mul(31).wrapping_add(i * 7))
            .collect();
        let text = engine.encode(&bytes);
        let mut out = [0u8; 32];
        decode_base64(text.as_bytes(), &mut out).unwrap();
        assert_eq!(out.to_vec(), bytes);
    }
    let mut out = [0u8; 32];
    assert_eq!(
        decode_base64(&[b'!'; 44], &mut out),
        Err(Malformed::InvalidBase64)
    );
    assert_eq!(
        decode_base64(b"YWJj", &mut out),
        Err(Malformed::WrongLength {
            found: 4,
            expected: 44
        })
    );
}

#[test]
fn caps_the_number_of_entries() {
    let sixteen = vec![format!("v1={HEX}"); MAX_ENTRIES].join(",");
    assert_eq!(parse(&[&sixteen], "v1=").unwrap().len(), MAX_ENTRIES);
    let seventeen = format!("{sixteen},v2=x");
    assert_eq!(
        parse(&[&seventeen], "v1="),
        Err(Malformed::TooManyEntries { limit: MAX_ENTRIES })
    );
    // The cap holds across header instances too.
    let values = vec![format!("v1={HEX}"); MAX_ENTRIES + 1];
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        parse(&refs, "v1="),
        Err(Malformed::TooManyEntries { limit: MAX_ENTRIES })
    );
}

#[test]
fn caps_asymmetric_entries_lower() {
    let sig = "A".repeat(86) + "==";
    let five = vec![format!("v1a,{sig}"); MAX_ASYMMETRIC_ENTRIES + 1].join(" ");
    assert_eq!(
        parse(&[&five], "sw"),
        Err(Malformed::TooManyEntries {
            limit: MAX_ASYMMETRIC_ENTRIES
        })
    );
}

#[test]
fn caps_the_header_length() {
    let long = format!("v1={HEX}{}", " ".repeat(MAX_HEADER_LEN));
    assert_eq!(
        parse(&[&long], "v1="),
        Err(Malformed::TooLong {
            limit: MAX_HEADER_LEN
        })
    );
}

#[test]
fn errors_stay_small_enough_to_move_in_registers() {
    assert!(std::mem::size_of::<EntryShape>() <= 15);
    assert!(std::mem::size_of::<Malformed>() <= 16);
    assert!(std::mem::size_of::<Result<(), Malformed>>() <= 16);
}
