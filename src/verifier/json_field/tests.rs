use proptest::prelude::*;

use super::*;

fn at<'a>(body: &'a str, pointer: &'static str) -> Result<Field<'a>, Miss> {
    find(body.as_bytes(), &JsonPointer::from_static(pointer))
}

/// The text an id's digest is made of: a string's unescaped text, a
/// number's literal text.
fn text(found: Result<Field<'_>, Miss>) -> Result<String, Miss> {
    found.map(|field| match field {
        Field::Str { raw, .. } => {
            let mut bytes = Vec::new();
            Unescaped::for_each_piece(raw, |p| bytes.extend_from_slice(p));
            let iterated: Vec<u8> = Unescaped::new(raw).collect();
            assert_eq!(iterated, bytes, "both decoders agree");
            format!("s:{}", String::from_utf8(bytes).unwrap())
        }
        Field::Num(text) => format!("n:{}", std::str::from_utf8(text).unwrap()),
    })
}

fn s(v: &str) -> Result<String, Miss> {
    Ok(format!("s:{v}"))
}

#[test]
fn top_level_and_nested_fields() {
    let stripe = r#"{"id":"evt_1","object":"event","data":{"object":{"id":"pi_3","amount":2000}}}"#;
    assert_eq!(text(at(stripe, "/id")), s("evt_1"));
    assert_eq!(text(at(stripe, "/data/object/id")), s("pi_3"));
    assert_eq!(text(at(stripe, "/data/object/amount")), Ok("n:2000".into()));
    assert_eq!(at(stripe, "/data/object"), Err(Miss::NotAnId));
    assert_eq!(
        at(stripe, "/data/object/id/x"),
        Err(Miss::Absent),
        "into a string"
    );
    assert_eq!(at(stripe, "/nope"), Err(Miss::Absent));
    assert_eq!(at(stripe, "/data/nope/id"), Err(Miss::Absent));
}

#[test]
fn escapes_are_decoded_in_values_and_names() {
    assert_eq!(text(at(r#"{"id":"evt\u005f1"}"#, "/id")), s("evt_1"));
    assert_eq!(text(at(r#"{"\u0069d":"evt_1"}"#, "/id")), s("evt_1"));
    assert_eq!(
        text(at(r#"{"id":"a\"b\\c\/d\b\f\n\r\t"}"#, "/id")),
        s("a\"b\\c/d\u{8}\u{c}\n\r\t")
    );
    // A surrogate pair is one character; a lone surrogate is invalid.
    assert_eq!(text(at(r#"{"id":"\ud83d\ude00!"}"#, "/id")), s("😀!"));
    assert_eq!(text(at(r#"{"id":"é😀"}"#, "/id")), s("é😀"));
    assert_eq!(at(r#"{"id":"\ud83d"}"#, "/id"), Err(Miss::Invalid));
    assert_eq!(at(r#"{"id":"\ud83dx"}"#, "/id"), Err(Miss::Invalid));
    assert_eq!(at(r#"{"id":"\ude00"}"#, "/id"), Err(Miss::Invalid));
    assert_eq!(at(r#"{"id":"\ud83d\u0041"}"#, "/id"), Err(Miss::Invalid));
    assert_eq!(at(r#"{"id":"\x"}"#, "/id"), Err(Miss::Invalid));
    assert_eq!(at(r#"{"id":"\u12"}"#, "/id"), Err(Miss::Invalid));
    assert_eq!(
        at("{\"id\":\"a\nb\"}", "/id"),
        Err(Miss::Invalid),
        "a raw control character"
    );
    // Pointer escapes: `~1` is `/`, `~0` is `~`.
    assert_eq!(text(at(r#"{"a/b":{"m~n":"x"}}"#, "/a~1b/m~0n")), s("x"));
    assert_eq!(text(at(r#"{"a\/b":"x"}"#, "/a~1b")), s("x"));
    assert_eq!(text(at(r#"{"":"empty"}"#, "/")), s("empty"));
}

#[test]
fn arrays_are_indexed() {
    let body = r#"{"items":[{"id":"a"},{"id":"b"},[1,{"id":"c"}],{"id":"d"}]}"#;
    assert_eq!(text(at(body, "/items/0/id")), s("a"));
    assert_eq!(text(at(body, "/items/1/id")), s("b"));
    assert_eq!(text(at(body, "/items/2/1/id")), s("c"));
    assert_eq!(text(at(body, "/items/3/id")), s("d"));
    assert_eq!(text(at(body, "/items/2/0")), Ok("n:1".into()));
    assert_eq!(at(body, "/items/4/id"), Err(Miss::Absent));
    assert_eq!(at(body, "/items/01/id"), Err(Miss::Absent), "leading zero");
    assert_eq!(at(body, "/items/-"), Err(Miss::Absent));
    assert_eq!(at(body, "/items/+1/id"), Err(Miss::Absent));
    assert_eq!(text(at(r#"["x","y"]"#, "/1")), s("y"));
    assert_eq!(
        at(r#"{"0":"x"}"#, "/0").map(|_| ()),
        Ok(()),
        "a name that looks like an index"
    );
}

#[test]
fn of_duplicate_names_the_last_counts() {
    assert_eq!(text(at(r#"{"id":"a","id":"b"}"#, "/id")), s("b"));
    assert_eq!(at(r#"{"id":"a","id":null}"#, "/id"), Err(Miss::NotAnId));
    assert_eq!(text(at(r#"{"id":{},"id":7}"#, "/id")), Ok("n:7".into()));
    // The later parent replaces the earlier one, and what it held.
    assert_eq!(
        at(r#"{"d":{"id":"a"},"d":{"x":1}}"#, "/d/id"),
        Err(Miss::Absent)
    );
    assert_eq!(at(r#"{"d":{"id":"a"},"d":5}"#, "/d/id"), Err(Miss::Absent));
    assert_eq!(text(at(r#"{"d":5,"d":{"id":"b"}}"#, "/d/id")), s("b"));
    assert_eq!(
        text(at(r#"{"d":{"id":"a"},"e":{"id":"x"}}"#, "/d/id")),
        s("a")
    );
}

#[test]
fn only_strings_and_numbers_are_ids() {
    for value in ["true", "false", "null", "{}", "[]", r#"{"a":1}"#, "[1]"] {
        let body = format!(r#"{{"id":{value}}}"#);
        assert_eq!(at(&body, "/id"), Err(Miss::NotAnId), "{value}");
    }
    for number in [
        "0",
        "-1",
        "12.5",
        "1e9",
        "-0.5E-3",
        "123456789012345678901234567890",
    ] {
        let body = format!(r#"{{"id":{number}}}"#);
        assert_eq!(text(at(&body, "/id")), Ok(format!("n:{number}")));
    }
}

#[test]
fn whitespace_anywhere_between_tokens() {
    let body = " \r\n\t{ \"a\" :\n[ 1 , { \"id\" : \"x\" } ] , \"b\" : true }\n ";
    assert_eq!(text(at(body, "/a/1/id")), s("x"));
    assert_eq!(at(body, "/b"), Err(Miss::NotAnId));
}

#[test]
fn invalid_or_non_json_bodies() {
    let invalid = [
        "",
        "   ",
        "token=abc&command=%2Fdeploy",
        r#"{"id":"evt_1""#,
        r#"{"id":"evt_1"}x"#,
        r#"{"id":"evt_1"}}"#,
        r#"{"id":"evt_1",}"#,
        r#"[1,]"#,
        r#"{"id" "x"}"#,
        r#"{id:"x"}"#,
        r#"{"id":01}"#,
        r#"{"id":1.}"#,
        r#"{"id":-}"#,
        r#"{"id":1e}"#,
        r#"{"id":+1}"#,
        r#"{"id":tru}"#,
        r#"{"id":"x"]"#,
        r#"["x"}"#,
        r#"{"a":"x",,"id":"y"}"#,
        "{\"id\":\"evt\u{0}\"}",
    ];
    for body in invalid {
        assert_eq!(at(body, "/id"), Err(Miss::Invalid), "{body:?}");
    }
    // Invalid UTF-8 anywhere, even in a value skipped.
    let mut body = br#"{"x":"#.to_vec();
    body.extend_from_slice(&[b'"', 0xff, b'"', b',']);
    body.extend_from_slice(br#""id":"a"}"#);
    assert_eq!(
        find(&body, &JsonPointer::from_static("/id")),
        Err(Miss::Invalid)
    );
    // Valid JSON without the field, or not an object.
    assert_eq!(
        at(
            r#"{"type":"url_verification","challenge":"c"}"#,
            "/event_id"
        ),
        Err(Miss::Absent)
    );
    assert_eq!(at(r#""evt_1""#, "/id"), Err(Miss::Absent));
    assert_eq!(at("42", "/id"), Err(Miss::Absent));
}

#[test]
fn truncated_bodies_are_invalid_at_every_length() {
    let body = r#"{"a":[1,-2.5e3,true,null,{"b":"\u00e9\ud83d\ude00"}],"id":"evt_1"}"#;
    for len in 0..body.len() {
        if let Some(cut) = body.get(..len) {
            assert_eq!(at(cut, "/id"), Err(Miss::Invalid), "{cut:?}");
        }
    }
    assert_eq!(text(at(body, "/id")), s("evt_1"));
}

#[test]
fn deep_nesting_never_overflows_and_stops_where_serde_json_does() {
    for depth in [1, 2, 63, 64, 65, 126, 127, 128, 129, 10_000, 1_000_000] {
        let body = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let ours = at(&body, "/0");
        let theirs = serde_json::from_str::<serde_json::Value>(&body);
        assert_eq!(
            ours == Err(Miss::Invalid),
            theirs.is_err(),
            "depth {depth}: {ours:?}"
        );
        let objects = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        let ours = at(&objects, "/a");
        let theirs = serde_json::from_str::<serde_json::Value>(&objects);
        assert_eq!(
            ours == Err(Miss::Invalid),
            theirs.is_err(),
            "objects {depth}: {ours:?}"
        );
    }
    // Unclosed, a million deep.
    assert_eq!(at(&"[".repeat(1_000_000), "/0"), Err(Miss::Invalid));
}

#[test]
fn strings_longer_than_a_word_with_specials_anywhere() {
    for len in 0..40 {
        for special in ["\\\"", "\\\\", "\\u0041", "\u{e9}"] {
            for at_pos in 0..=len {
                let mut v = "x".repeat(len);
                v.insert_str(at_pos, special);
                let body = format!(r#"{{"pad":"{v}","id":"{v}"}}"#);
                let expected = serde_json::from_str::<serde_json::Value>(&body).unwrap();
                let expected = expected
                    .pointer("/id")
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned();
                assert_eq!(text(at(&body, "/id")), s(&expected), "{body}");
            }
        }
    }
}

/// A JSON value, with duplicates and escapes of its own, written out.
fn json() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("id".to_owned()),
        Just("a".to_owned()),
        Just("0".to_owned()),
        Just("a/b".to_owned()),
        Just("m~n".to_owned()),
        "[a-c]{0,2}",
    ];
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
        (-1000i64..1000).prop_map(|n| n.to_string()),
        "[ -~é😀\u{1}\n]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        "[a-z_0-9]{0,12}".prop_map(|s| format!("\"{}\"", escape_some(&s))),
    ];
    leaf.prop_recursive(5, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5)
                .prop_map(|v| format!("[ {} ]", v.join(" ,"))),
            prop::collection::vec((name.clone(), inner), 0..5).prop_map(|members| {
                let members: Vec<String> = members
                    .into_iter()
                    .map(|(k, v)| format!("{}:{v}", serde_json::to_string(&k).unwrap()))
                    .collect();
                format!("{{{}}}", members.join(","))
            }),
        ]
    })
}

/// Some characters written as `\u` escapes.
fn escape_some(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 3 == 1 {
                format!("\\u{:04x}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn pointer() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("id"),
        Just("a"),
        Just("0"),
        Just("1"),
        Just("a~1b"),
        Just("m~0n"),
        Just(""),
        Just("b"),
    ];
    prop::collection::vec(token, 1..4).prop_map(|t| format!("/{}", t.join("/")))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn agrees_with_serde_json_pointer(body in json(), pointer in pointer()) {
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        let ours = find(body.as_bytes(), &JsonPointer::new(pointer.clone()));
        match parsed.pointer(&pointer) {
            None => prop_assert_eq!(ours, Err(Miss::Absent)),
            Some(serde_json::Value::String(v)) => prop_assert_eq!(text(ours), s(v)),
            Some(serde_json::Value::Number(n)) => {
                let ours = text(ours).unwrap();
                let ours: i64 = ours.strip_prefix("n:").unwrap().parse().unwrap();
                prop_assert_eq!(Some(ours), n.as_i64());
            }
            Some(_) => prop_assert_eq!(ours, Err(Miss::NotAnId)),
        }
    }

    #[test]
    fn never_panics_and_agrees_on_validity(bytes in prop::collection::vec(any::<u8>(), 0..64), pointer in pointer()) {
        let ours = find(&bytes, &JsonPointer::new(pointer));
        let theirs = serde_json::from_slice::<serde_json::Value>(&bytes);
        prop_assert_eq!(ours == Err(Miss::Invalid), theirs.is_err());
    }

    #[test]
    fn mangled_json_agrees_on_validity(body in json(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut bytes = body.into_bytes();
        let at = cut.index(bytes.len() + 1);
        bytes.insert(at, byte);
        let ours = find(&bytes, &JsonPointer::from_static("/id"));
        let theirs = serde_json::from_slice::<serde_json::Value>(&bytes);
        prop_assert_eq!(ours == Err(Miss::Invalid), theirs.is_err(), "{:?}", String::from_utf8_lossy(&bytes));
    }
}
