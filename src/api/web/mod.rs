//! The built-in web page (`/`): draws a resource's access paths as a graph with Cytoscape.js
//! (vendored: `cytoscape.min.js`, version and licence in `README.md` beside it). Everything is
//! compiled into the binary; the page loads nothing from other hosts.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
const CYTOSCAPE: &str = include_str!("cytoscape.min.js");

/// Only this page's own scripts and styles, and requests to this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn page(ty: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ty)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CSP),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}

pub async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

pub async fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "app.js" => page("text/javascript; charset=utf-8", APP_JS),
        "app.css" => page("text/css; charset=utf-8", APP_CSS),
        "cytoscape.min.js" => page("text/javascript; charset=utf-8", CYTOSCAPE),
        _ => super::json_message(
            StatusCode::NOT_FOUND,
            &format!("No such file: /static/{file}"),
        ),
    }
}
