//! The exported SDL is current, and every example query answers on the demo.

mod api_support;

use std::path::Path;

use api_support::{Server, config_json};
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

/// GraphiQL's introspection query (graphql-js `getIntrospectionQuery`: type references nested
/// eight levels, 13 in all) is answered under a lower `maxQueryDepth`, because it reads only
/// the schema; a data query past the limit is still refused, as is introspection mixed with data.
#[tokio::test]
async fn graphiql_introspection_passes_the_depth_limit_and_data_queries_do_not() {
    const INTROSPECTION: &str = r#"
    query IntrospectionQuery {
      __schema {
        queryType { name } mutationType { name } subscriptionType { name }
        types { ...FullType }
        directives { name description locations args { ...InputValue } }
      }
    }
    fragment FullType on __Type {
      kind name description
      fields(includeDeprecated: true) {
        name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
      }
      inputFields { ...InputValue }
      interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
      possibleTypes { ...TypeRef }
    }
    fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
    fragment TypeRef on __Type {
      kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name
        ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }
    }"#;
    let s = Server::start(
        &["--demo"],
        Some(&config_json(serde_json::json!({"maxQueryDepth": 5}))),
    );
    let (status, body) = s.graphql(None, INTROSPECTION, serde_json::json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("errors").is_none(), "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    // A data query 7 levels deep is refused at a depth of 5.
    let deep = "{ resources(first: 1) { nodes { principal { adminPaths { steps { provenance { policy } } } } } } }";
    let (_, body) = s.graphql(None, deep, serde_json::json!({})).await;
    let errors = body["errors"].to_string();
    assert!(
        errors.contains("too deep") || errors.contains("depth"),
        "{body}"
    );
    // Mixing data into an introspection query takes the data limits.
    let mixed = format!(
        "{{ snapshot {{ id }} {} }}",
        &INTROSPECTION[INTROSPECTION.find("__schema").unwrap()
            ..INTROSPECTION.find("fragment FullType").unwrap()]
            .trim_end()
            .trim_end_matches('}')
    );
    let (_, body) = s
        .graphql(
            None,
            &format!(
                "{mixed}\n{}",
                &INTROSPECTION[INTROSPECTION.find("fragment FullType").unwrap()..]
            ),
            serde_json::json!({}),
        )
        .await;
    assert!(
        body["errors"].to_string().contains("deep") || body["errors"].to_string().contains("depth"),
        "{body}"
    );
}
