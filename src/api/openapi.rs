//! The OpenAPI 3 document of the REST side (`/openapi.json`).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::graph::paths::{DEFAULT_MAX_NODES, MAX_NODES};

fn message(description: &str, example: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Message"},
            "example": {"message": example}
        }}
    })
}

/// The document.
pub fn document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "pathhound partner API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Resource access paths with the semantics of k9 Security's partner API: which principals can reach a resource, directly or through chains of role assumption and account trusts. GraphQL (/graphql) answers everything else.",
            "license": {"name": "Apache-2.0"}
        },
        "paths": {
            "/partner/{partnerId}/customer/{partnerCustomerId}/account/{accountId}/resource-access-paths": {
                "post": {
                    "operationId": "generateResourceAccessPaths",
                    "summary": "Generate resource access paths",
                    "description": "Access paths to one or more resources of the account. Each path starts at the node adjacent to the resource and moves outward; a whole trusted account is its bare 12-digit ID followed by the principals of that account that can use the trust. `cycle` marks a path ending in a node already on it; `truncated` a path cut at maxAccessPathNodes. `pathsCapped` (present only when true) says more paths exist than the server returns per resource.",
                    "security": [{"bearerAuth": []}],
                    "parameters": [
                        {"name": "partnerId", "in": "path", "required": true, "description": "The partner ID, e.g. P123456.", "schema": {"type": "string", "pattern": "^P[0-9]{6}$"}},
                        {"name": "partnerCustomerId", "in": "path", "required": true, "description": "The partner's own customer or tenant identifier.", "schema": {"type": "string", "pattern": "^[A-Za-z0-9_.-]{6,64}$"}},
                        {"name": "accountId", "in": "path", "required": true, "description": "The AWS account the resources belong to.", "schema": {"type": "string", "pattern": "^[0-9]{12}$"}}
                    ],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/ResourceAccessPathsRequest"},
                            "example": {
                                "resourceIds": ["arn:aws:iam::333333333333:role/333-dst-1"],
                                "service": "STS",
                                "principalAccessCapabilities": ["use-resource"],
                                "accessCapabilityOperator": "OR"
                            }
                        }}
                    },
                    "responses": {
                        "200": {
                            "description": "Access paths per requested resource, in request order.",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ResourceAccessPathsResponse"}}}
                        },
                        "400": message("A bad path parameter, content type or body; the message names the field.", "maxAccessPathNodes: 16 is out of range: must be an integer from 1 to 15"),
                        "401": message("No API key, or an unknown one.", "Missing API key: send the header Authorization: Bearer <key>."),
                        "403": message("The key is not granted this partner, customer and account, or the customer is not served (one answer for both).", "Caller is not authorized to generate resource access paths."),
                        "408": message("The body did not arrive in time.", "body: not received within 10000 ms (limits.bodyReadTimeoutMs)"),
                        "413": message("The body is larger than the server accepts.", "body: length limit exceeded"),
                        "429": message("The key's rate limit or concurrency is used up; see Retry-After.", "Too many requests: this key may make 60 per minute (bursts of 6); retry after 1 s."),
                        "503": message("The request took too long, or the store is unavailable.", "The request took longer than 30000 ms and was abandoned")
                    }
                }
            },
            "/healthz": {"get": {"operationId": "health", "summary": "Liveness: whether every tenant's store answers (names no tenant)", "responses": {"200": {"description": "Serving."}, "503": {"description": "A store cannot answer."}}}},
            "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus text metrics (a key with the metrics interface)", "security": [{"bearerAuth": []}], "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {}}}, "401": {"description": "No, unknown or expired API key."}, "403": {"description": "The key lacks the metrics interface."}, "429": {"description": "The key's budget is used up."}}}},
            "/graphql": {"post": {"operationId": "graphql", "summary": "GraphQL (schema: graphql/schema.graphql; GraphiQL on GET). The customer (tenant): header X-Pathhound-Customer or ?customer=, optional when the key sees one.", "security": [{"bearerAuth": []}], "parameters": [{"name": "X-Pathhound-Customer", "in": "header", "required": false, "schema": {"type": "string"}}, {"name": "customer", "in": "query", "required": false, "schema": {"type": "string"}}], "responses": {"200": {"description": "A GraphQL response, within the key's grants."}, "400": {"description": "Not a GraphQL request, too costly, or the customer must be named."}, "401": {"description": "No, unknown or expired API key."}, "403": {"description": "The key lacks the interface, or the customer is not granted or not served (one answer for both)."}, "429": {"description": "The key's budget is used up; see Retry-After."}}}}
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API key from the server's config file (stored there as its SHA-256)."}},
            "schemas": {
                "Message": {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}},
                "ResourceAccessPathsRequest": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["resourceIds", "service", "principalAccessCapabilities", "accessCapabilityOperator"],
                    "properties": {
                        "resourceIds": {"type": "array", "minItems": 1, "items": {"type": "string", "description": "A resource ARN of the account."}},
                        "service": {"type": "string", "description": "k9 service name through which the resource is accessed: STS for roles, S3, KMS, IAM, RDS, …", "example": "STS"},
                        "principalAccessCapabilities": {"type": "array", "minItems": 1, "items": {"$ref": "#/components/schemas/AccessCapability"}},
                        "accessCapabilityOperator": {"type": "string", "enum": ["OR", "AND"]},
                        "maxAccessPathNodes": {"type": "integer", "minimum": 1, "maximum": MAX_NODES, "default": DEFAULT_MAX_NODES},
                        "includeEscalationEdges": {"type": "boolean", "default": false, "description": "pathhound extension: also follow privilege-escalation edges into principals."}
                    }
                },
                "AccessCapability": {"type": "string", "enum": ["administer-resource", "read-config", "use-resource", "read-data", "write-data", "delete-data", "unclassified-access"]},
                "AccessPath": {
                    "type": "object",
                    "required": ["nodes", "truncated", "cycle"],
                    "properties": {
                        "nodes": {"type": "array", "items": {"type": "string"}, "description": "Principal ARNs or 12-digit account IDs, from the node next to the resource outward."},
                        "truncated": {"type": "boolean"},
                        "cycle": {"type": "boolean"}
                    }
                },
                "ResourcePaths": {
                    "type": "object",
                    "required": ["resourceType", "accessPaths"],
                    "properties": {
                        "resourceType": {"type": "string", "example": "IAMRole"},
                        "accessPaths": {"type": "array", "items": {"$ref": "#/components/schemas/AccessPath"}},
                        "pathsCapped": {"type": "boolean", "description": "Present, true, when more paths exist than were returned."}
                    }
                },
                "ResourceAccessPathsResponse": {
                    "type": "object",
                    "required": ["resourceAccessPaths"],
                    "properties": {"resourceAccessPaths": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ResourcePaths"}}}
                }
            }
        }
    })
}

pub async fn openapi_json() -> Response {
    super::json_response(StatusCode::OK, &document())
}
