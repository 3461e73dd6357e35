//! The in-browser verifier, embedded in the binary and served by `listen`.
//!
//! Its files live in `page/`, inside the package so that the binary builds
//! from crates.io: `index.html` and `app.js` as written, and
//! `hookwarden_web.wasm` as `web/build.sh` builds it from `web/`.

use axum::http::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `GET /`: what this is and where the page is.
pub async fn index() -> &'static str {
    "hookwarden listen: a local webhook receiver.\n\
     POST a delivery to any path: its verdict, diagnosis and payload are printed \
     where `hookwarden listen` runs.\n\
     The in-browser verifier is at /verify.\n"
}

/// Any other `GET`: a 404 with one line of text.
pub async fn not_found() -> Response {
    not_found_response()
}

fn not_found_response() -> Response {
    (
        StatusCode::NOT_FOUND,
        "not found: POST deliveries to any path; the verifier page is at /verify\n",
    )
        .into_response()
}

pub async fn verifier_page() -> Response {
    web_asset("index.html")
}

pub async fn verifier_asset(axum::extract::Path(asset): axum::extract::Path<String>) -> Response {
    web_asset(&asset)
}

/// One embedded file. The page may load only itself and its module: the
/// secret cannot leave the browser.
fn web_asset(name: &str) -> Response {
    let name = match name.rsplit('/').next().unwrap_or_default() {
        "" => "index.html",
        other => other,
    };
    let found = WEB_ASSETS.iter().find(|(n, _, _)| *n == name);
    match found {
        Some((_, content_type, bytes)) => (
            [
                (CONTENT_TYPE, *content_type),
                (CONTENT_SECURITY_POLICY, PAGE_POLICY),
            ],
            *bytes,
        )
            .into_response(),
        None => not_found_response(),
    }
}

/// Scripts and the module from this origin only; no other connection.
const PAGE_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'";

const WEB_ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "index.html",
        "text/html; charset=utf-8",
        include_bytes!("page/index.html"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_bytes!("page/app.js"),
    ),
    (
        "hookwarden_web.wasm",
        "application/wasm",
        include_bytes!("page/hookwarden_web.wasm"),
    ),
];
