//! The built-in web page (`/`): draws a resource's access paths as a graph with Cytoscape.js
//! (vendored: `cytoscape.min.js`, version and licence in `README.md` beside it). Everything is
//! compiled into the binary; the page loads nothing from other hosts.
//!
//! GraphiQL (`GET /graphql`) is vendored the same way (`graphiql/`: GraphiQL 3.8.3 and React
//! 18.3.1 UMD builds, licences beside them) and served under `/assets/graphiql/…`, so it works
//! offline and its page may load nothing but this origin.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("index.html");
const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");
const CYTOSCAPE: &str = include_str!("cytoscape.min.js");
const GRAPHIQL_INDEX: &str = include_str!("graphiql/index.html");
const GRAPHIQL_START_JS: &str = include_str!("graphiql/start.js");
const GRAPHIQL_START_CSS: &str = include_str!("graphiql/start.css");
const GRAPHIQL_JS: &str = include_str!("graphiql/graphiql.min.js");
const GRAPHIQL_CSS: &str = include_str!("graphiql/graphiql.min.css");
const REACT_JS: &str = include_str!("graphiql/react.production.min.js");
const REACT_DOM_JS: &str = include_str!("graphiql/react-dom.production.min.js");

/// Only this page's own scripts and styles, and requests to this origin.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// GraphiQL's: this origin only, as above; its fonts are `data:` URLs in its stylesheet, and
/// its editors set `style` attributes.
const GRAPHIQL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn page(ty: &'static str, body: &'static str) -> Response {
    with_csp(ty, body, CSP)
}

fn with_csp(ty: &'static str, body: &'static str, csp: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(ty)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(csp),
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

/// The GraphiQL page.
pub fn graphiql_page() -> Response {
    with_csp("text/html; charset=utf-8", GRAPHIQL_INDEX, GRAPHIQL_CSP)
}

/// `/assets/graphiql/{file}`.
pub async fn graphiql_asset(Path(file): Path<String>) -> Response {
    const JS: &str = "text/javascript; charset=utf-8";
    const CSS: &str = "text/css; charset=utf-8";
    let (ty, body) = match file.as_str() {
        "graphiql.min.js" => (JS, GRAPHIQL_JS),
        "graphiql.min.css" => (CSS, GRAPHIQL_CSS),
        "react.production.min.js" => (JS, REACT_JS),
        "react-dom.production.min.js" => (JS, REACT_DOM_JS),
        "start.js" => (JS, GRAPHIQL_START_JS),
        "start.css" => (CSS, GRAPHIQL_START_CSS),
        _ => {
            return super::json_message(
                StatusCode::NOT_FOUND,
                &format!("No such file: /assets/graphiql/{file}"),
            );
        }
    };
    with_csp(ty, body, GRAPHIQL_CSP)
}
