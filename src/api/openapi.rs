//! `GET /v1/openapi.json`: an OpenAPI 3.1 document generated from [`ROUTES`], so it
//! cannot drift from the router (a test also requests every route it lists).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::body::reply;
use super::routes::{ROUTES, RouteSpec};

/// The document.
pub fn build() -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for r in ROUTES {
        paths
            .entry(r.path)
            .or_default()
            .insert(r.method.to_ascii_lowercase(), operation(r));
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "hongyan",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Carrier-direct SMS gateway (CMPP, SMGP, SGIP). Times are RFC 3339; responses give them in UTC+8. Errors are {\"error\": {\"code\", \"message\", \"details\"}}."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "properties": {
                        "code": { "type": "string" },
                        "message": { "type": "string" },
                        "details": {}
                    }, "required": ["code", "message"] } }
                }
            }
        },
        "paths": paths,
    })
}

fn operation(r: &RouteSpec) -> Value {
    let mut op = json!({
        "summary": r.summary,
        "operationId": operation_id(r),
        "responses": {
            "200": { "description": "OK", "content": { "application/json": {} } },
            "default": { "description": "Error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }
        }
    });
    let Some(obj) = op.as_object_mut() else {
        return op;
    };
    if let Some(scope) = r.scope {
        obj.insert("security".into(), json!([{ "bearer": [] }]));
        obj.insert("x-scope".into(), scope.name().into());
    }
    let params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let ty = if name == "id" { "integer" } else { "string" };
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": ty } })
        })
        .collect();
    if !params.is_empty() {
        obj.insert("parameters".into(), Value::Array(params));
    }
    if !r.body.is_empty() {
        let props: Map<String, Value> = r
            .body
            .iter()
            .map(|(name, ty, _)| ((*name).to_owned(), json!({ "type": ty })))
            .collect();
        let required: Vec<&str> = r.body.iter().filter(|f| f.2).map(|f| f.0).collect();
        obj.insert(
            "requestBody".into(),
            json!({ "required": true, "content": { "application/json": { "schema": {
                "type": "object", "properties": props, "required": required
            } } } }),
        );
    }
    op
}

fn operation_id(r: &RouteSpec) -> String {
    let mut id = r.method.to_ascii_lowercase();
    for seg in r.path.split('/').filter(|s| !s.is_empty() && *s != "v1") {
        let seg = seg.trim_start_matches('{').trim_end_matches('}');
        id.push('_');
        id.extend(
            seg.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }),
        );
    }
    id
}

pub async fn document() -> Response {
    reply(StatusCode::OK, &build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document_once() {
        let doc = build();
        let mut n = 0;
        for (path, ops) in doc["paths"].as_object().into_iter().flatten() {
            for method in ops.as_object().into_iter().flatten().map(|(m, _)| m) {
                assert!(
                    ROUTES
                        .iter()
                        .any(|r| r.path == path && r.method.eq_ignore_ascii_case(method)),
                    "{method} {path} is documented but not a route"
                );
                n += 1;
            }
        }
        assert_eq!(n, ROUTES.len());
        let ids: std::collections::HashSet<_> = ROUTES.iter().map(operation_id).collect();
        assert_eq!(ids.len(), ROUTES.len(), "operation ids are unique");
    }
}
