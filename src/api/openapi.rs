//! `GET /v1/openapi.json`: an OpenAPI 3.1 document generated from [`ROUTES`], so it
//! cannot drift from the router (a test also requests every route it lists).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::body::reply;
use super::routes::{ROUTES, RouteSpec};

/// Every schema: the error body and each route's response.
fn schemas() -> Map<String, Value> {
    let mut all = super::schemas::schemas();
    all.insert(
        "Error".into(),
        json!({
            "type": "object",
            "properties": { "error": { "type": "object", "properties": {
                "code": { "type": "string" },
                "message": { "type": "string" },
                "details": {}
            }, "required": ["code", "message"] } },
            "required": ["error"]
        }),
    );
    all
}

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
            "schemas": schemas(),
        },
        "paths": paths,
    })
}

/// What each status means, for the document.
fn describe(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted: queued for sending",
        400 => {
            "Bad request: not JSON, or an unknown query parameter (the message names the known ones)"
        }
        401 => "Missing or unknown token",
        403 => "The token lacks this route's scope",
        404 => "No such item",
        409 => "Conflict with the item's state or an idempotency key",
        413 => "Body larger than api.max_body_bytes",
        415 => "Wrong Content-Type",
        422 => "A field or parameter is invalid (details.field names it)",
        503 => "Not ready, shutting down, or a link is down",
        _ => "See the error code",
    }
}

/// Every status `r` may answer: its successes, then the errors its scope, path and
/// inputs make possible, then its own.
pub fn statuses(r: &RouteSpec) -> Vec<u16> {
    let mut all: Vec<u16> = r.ok.to_vec();
    all.push(400);
    if r.scope.is_some() {
        all.extend([401, 403]);
    }
    if r.path.contains('{') {
        all.push(404);
    }
    if r.path.contains('{') || !r.body.is_empty() || !r.query.is_empty() || r.method == "POST" {
        all.push(422);
    }
    all.extend(r.errors);
    let mut seen = Vec::with_capacity(all.len());
    for s in all {
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen
}

fn operation(r: &RouteSpec) -> Value {
    let schema = json!({ "$ref": format!("#/components/schemas/{}", r.response) });
    let content = if r.response == "Metrics" {
        json!({ "text/plain": { "schema": schema } })
    } else if r.response == "RepliesCsv" {
        json!({ "text/csv": { "schema": schema } })
    } else {
        json!({ "application/json": { "schema": schema } })
    };
    let error =
        json!({ "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } });
    let mut responses = Map::new();
    for status in statuses(r) {
        let body = if r.ok.contains(&status) {
            content.clone()
        } else {
            error.clone()
        };
        responses.insert(
            status.to_string(),
            json!({ "description": describe(status), "content": body }),
        );
    }
    let mut op = json!({
        "summary": r.summary,
        "operationId": operation_id(r),
        "responses": responses,
    });
    let Some(obj) = op.as_object_mut() else {
        return op;
    };
    if let Some(scope) = r.scope {
        obj.insert("security".into(), json!([{ "bearer": [] }]));
        obj.insert("x-scope".into(), scope.name().into());
    }
    let mut params: Vec<Value> = r
        .path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let ty = if name == "id" { "integer" } else { "string" };
            json!({ "name": name, "in": "path", "required": true, "schema": { "type": ty } })
        })
        .collect();
    params.extend(r.query.iter().map(|p| {
        let schema = if p.ty == "date-time" {
            json!({ "type": "string", "format": "date-time" })
        } else if p.name == "state" && r.response == "JobList" {
            json!({ "$ref": "#/components/schemas/JobState" })
        } else {
            json!({ "type": p.ty })
        };
        json!({ "name": p.name, "in": "query", "required": false, "description": p.about, "schema": schema })
    }));
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

    #[test]
    fn statuses_responses_and_parameters_come_from_the_route_table() {
        let doc = build();
        for r in ROUTES {
            let op = &doc["paths"][r.path][r.method.to_ascii_lowercase()];
            let documented: Vec<u16> = op["responses"]
                .as_object()
                .unwrap_or(&Map::new())
                .keys()
                .filter_map(|k| k.parse().ok())
                .collect();
            let mut want = statuses(r);
            let mut got = documented.clone();
            want.sort_unstable();
            got.sort_unstable();
            assert_eq!(got, want, "{} {}", r.method, r.path);
            for ok in r.ok {
                let content = &op["responses"][ok.to_string()]["content"];
                let schema = content
                    .as_object()
                    .and_then(|c| c.values().next())
                    .map(|c| c["schema"]["$ref"].clone());
                assert_eq!(
                    schema,
                    Some(json!(format!("#/components/schemas/{}", r.response))),
                    "{} {} {ok}",
                    r.method,
                    r.path
                );
            }
            let params: Vec<&str> = op["parameters"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|p| p["in"] == "query")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            let names: Vec<&str> = r.query.iter().map(|p| p.name).collect();
            assert_eq!(params, names, "{} {}", r.method, r.path);
        }
        // The send routes answer 202 and creating routes 201, not 200 alone.
        let post = |path: &str| ROUTES.iter().find(|r| r.method == "POST" && r.path == path);
        assert_eq!(post("/v1/messages").map(|r| r.ok[0]), Some(202));
        assert_eq!(post("/v1/approvals").map(|r| r.ok[0]), Some(201));
        assert_eq!(post("/v1/reminders").map(|r| r.ok[0]), Some(201));
        let states = &doc["components"]["schemas"]["JobState"]["enum"];
        assert!(
            states
                .as_array()
                .is_some_and(|a| a.contains(&json!("partly_delivered"))),
            "{states}"
        );
    }
}
