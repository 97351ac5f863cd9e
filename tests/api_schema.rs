//! The exported SDL is current, and every example query answers on the demo.

mod api_support;

use std::path::Path;

use api_support::Server;
use serde_json::{Value, json};

#[test]
fn graphql_schema_file_is_current() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql/schema.graphql");
    let sdl = pathhound::api::graphql::sdl();
    if std::env::var("PATHHOUND_UPDATE_SCHEMA").as_deref() == Ok("1") {
        std::fs::write(&file, &sdl).expect("writing graphql/schema.graphql");
    }
    let on_disk = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        on_disk == sdl,
        "graphql/schema.graphql is stale: run `pathhound serve --print-schema > graphql/schema.graphql` (or this test with PATHHOUND_UPDATE_SCHEMA=1)"
    );
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => {
            if let Some(n) = o.get("nodes") {
                return non_empty(n);
            }
            o.values().any(non_empty)
        }
        Value::Null => false,
        _ => true,
    }
}

#[tokio::test]
async fn every_example_answers_on_the_demo() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql/examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("graphql/examples")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .collect();
    files.sort();
    // One per question of seed 002.
    for q in [
        "stale-credentials",
        "iam-administrators",
        "rds-delete-data",
        "over-accessible-data-resources",
        "excessive-data-access",
    ] {
        assert!(
            files.iter().any(|f| f.file_stem().unwrap() == q),
            "graphql/examples/{q}.graphql is missing"
        );
    }
    let s = Server::start(&["--demo"], None);
    for f in &files {
        let q = std::fs::read_to_string(f).unwrap();
        let d = s.data(&q, json!({})).await;
        let obj = d.as_object().unwrap();
        assert!(!obj.is_empty(), "{}", f.display());
        for (field, v) in obj {
            assert!(non_empty(v), "{}: {field} is empty: {v}", f.display());
        }
    }
}
