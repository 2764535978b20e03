"""The OpenAPI 3.1 document of the server and a small self-contained docs page (no CDN).

Request bodies follow the model's input schema: for a model with named, typed columns each
record property has the column's JSON type, its categories as an ``enum`` and ``null`` where
missing values are allowed; ``instances`` rows list the same types in column order.
"""

from __future__ import annotations

import html
from typing import Any

from .frames import example_row
from .oip_tensors import COLUMN_DATATYPES
from .schema import Column, InputSchema

__all__ = ["column_schema", "docs_page", "example_body", "openapi_document"]

_JSON_TYPES = {"float": "number", "int": "integer", "bool": "boolean", "string": "string"}


def column_schema(col: Column) -> dict[str, Any]:
    """The JSON Schema of one column's value."""
    kind = _JSON_TYPES[col.type]
    out: dict[str, Any] = {"type": [kind, "null"] if col.nullable else kind}
    if col.categories is not None:
        out["enum"] = [*col.categories, None] if col.nullable else list(col.categories)
    return out


def example_body(n_features: int | None, schema: InputSchema | None) -> dict[str, Any]:
    """A request body for /predict: one typed record drawn from the schema, or one row of
    zeros."""
    if schema is not None:
        return {"records": [dict(zip(schema.names, example_row(schema), strict=True))]}
    return {"instances": [[0.0] * (n_features or 4)]}


def _json(schema_ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json("Error")}


_CLIENT_ERRORS = {
    "400": _error("Invalid JSON, a missing or empty `instances`/`records`, or a malformed row."),
    "413": _error("The body is larger than the limit (default 1 MiB)."),
    "415": _error("The Content-Type is not one this route reads."),
    "422": _error(
        "A wrong column count, name or type, an unknown category, a missing value where the "
        "model takes none, or infinity; the message names the row and the column."
    ),
    "500": _error("The model raised; the body holds an `error_id` that is also in the log."),
    "503": _error("The model is still loading."),
}


def _infer_example(schema: InputSchema | None, row: list[float]) -> dict[str, Any]:
    if schema is None:
        return {
            "inputs": [{"name": "input-0", "shape": [1, len(row)], "datatype": "FP64", "data": row}]
        }
    return {
        "inputs": [
            {"name": c.name, "shape": [1, 1], "datatype": COLUMN_DATATYPES[c.type], "data": [value]}
            for c, value in zip(schema.columns, example_row(schema), strict=True)
        ]
    }


def openapi_document(
    *,
    title: str,
    version: str,
    model_name: str,
    n_features: int | None,
    feature_names: list[str] | None,
    output_kind: str,
    predict_route: str | None = None,
    health_route: str | None = None,
    schema: InputSchema | None = None,
    allows_nan: bool = True,
) -> dict[str, Any]:
    """The document; ``schema`` is given for a model with named, typed columns."""
    width = n_features if n_features is not None else 4
    row = [0.0] * width
    cell: dict[str, Any] = {"type": ["number", "null"] if allows_nan else "number"}
    row_schema: dict[str, Any] = {"type": "array", "items": cell}
    if n_features is not None:
        row_schema |= {"minItems": n_features, "maxItems": n_features}
    record_schema: dict[str, Any] = {"type": "object"}
    if feature_names:
        record_schema |= {
            "properties": dict.fromkeys(feature_names, cell),
            "required": list(feature_names),
            "additionalProperties": False,
        }
    example = example_body(n_features, schema)
    if schema is not None:
        cells = [column_schema(c) for c in schema.columns]
        width = len(cells)
        row_schema = {
            "type": "array",
            "prefixItems": cells,
            "items": False,
            "minItems": width,
            "maxItems": width,
        }
        record_schema = {
            "type": "object",
            "properties": {c.name: s for c, s in zip(schema.columns, cells, strict=True)},
            "required": schema.names,
            "additionalProperties": False,
        }
    prediction: dict[str, Any] = (
        {"type": "array", "items": {"type": "number"}, "description": "class probabilities"}
        if output_kind == "probabilities"
        else {"description": "label" if output_kind == "labels" else "predicted value"}
    )
    predict_op: dict[str, Any] = {
        "summary": "Predict",
        "description": "Send rows as `instances` (lists of numbers in training column order) "
        "or `records` (objects keyed by feature name). Concurrent requests are micro-batched "
        "into one model call.",
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/PredictRequest"},
                    "example": example,
                }
            },
        },
        "responses": {
            "200": {
                "description": "One prediction per row, in order.",
                "content": _json("PredictResponse"),
            },
            **_CLIENT_ERRORS,
        },
    }
    health = {
        "200": {"description": "OK", "content": _json("Status")},
    }
    ready = {**health, "503": {"description": "Not ready yet", "content": _json("Status")}}
    datatypes = ["BOOL", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32"]
    datatypes += ["UINT64", "FP16", "FP32", "FP64", "BYTES"]
    v2_tensor: dict[str, Any] = {
        "type": "object",
        "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"type": "string"},
            "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "datatype": {"type": "string", "enum": datatypes},
            "data": {"type": "array"},
            "parameters": {"type": "object"},
        },
    }
    infer_input = v2_tensor
    if schema is not None:
        infer_input = {
            **v2_tensor,
            "properties": {**v2_tensor["properties"], "name": {"enum": schema.names}},
        }
    paths: dict[str, Any] = {
        "/predict": {"post": predict_op},
        "/noop": {
            "post": {
                "summary": "HTTP floor for benchmarks",
                "description": "Reads, parses and checks the body exactly as /predict does, "
                "then answers a constant without calling the model: the throughput of this "
                "route is the server's own ceiling for the payload.",
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PredictRequest"}
                        }
                    }
                },
                "responses": {
                    "200": {"description": "Constant", "content": _json("PredictResponse")},
                    **{k: v for k, v in _CLIENT_ERRORS.items() if k[0] == "4"},
                },
            }
        },
        "/livez": {"get": {"summary": "Liveness (always cheap)", "responses": health}},
        "/readyz": {
            "get": {
                "summary": "Readiness: 503 until the model is loaded and warmed up",
                "responses": ready,
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {"description": "Text exposition format", "content": {"text/plain": {}}}
                },
            }
        },
        "/ping": {"get": {"summary": "SageMaker health check", "responses": ready}},
        "/invocations": {
            "post": {
                "summary": "SageMaker inference",
                "description": "JSON (as /predict, or a bare list of rows), text/csv (one row "
                "per line, optionally under a header row naming the columns) or "
                "application/jsonlines (one record object or row list per line). Accept picks "
                "the answer: JSON, CSV or JSON lines (one prediction per line).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/PredictRequest"}
                        },
                        "text/csv": {"schema": {"type": "string"}},
                        "application/jsonlines": {"schema": {"type": "string"}},
                    },
                },
                "responses": {
                    "200": {
                        "description": "Predictions",
                        "content": {
                            **_json("PredictResponse"),
                            "text/csv": {"schema": {"type": "string"}},
                            "application/jsonlines": {"schema": {"type": "string"}},
                        },
                    },
                    "406": _error("Accept names no media type this route answers in."),
                    **_CLIENT_ERRORS,
                },
            }
        },
        "/v2": {
            "get": {"summary": "Open Inference Protocol: server metadata", "responses": health}
        },
        "/v2/health/live": {
            "get": {"summary": "Open Inference Protocol: live", "responses": health}
        },
        "/v2/health/ready": {
            "get": {"summary": "Open Inference Protocol: ready", "responses": ready}
        },
        "/v2/models/{name}": {
            "get": {
                "summary": "Open Inference Protocol: model metadata",
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "example": model_name},
                    }
                ],
                "responses": {
                    "200": {"description": "Metadata"},
                    "404": _error("Unknown model"),
                    "503": _error("The model is still loading."),
                },
            }
        },
        "/v2/models/{name}/ready": {
            "get": {
                "summary": "Open Inference Protocol: model ready",
                "parameters": [
                    {"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {**ready, "404": _error("Unknown model")},
            }
        },
        "/v2/models/{name}/infer": {
            "post": {
                "summary": "Open Inference Protocol: inference",
                "parameters": [
                    {
                        "name": "name",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "example": model_name},
                    }
                ],
                "description": "JSON tensors, or the binary tensor data extension: a JSON "
                "header of Inference-Header-Content-Length bytes followed by each input's raw "
                "bytes (parameters.binary_data_size).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/InferRequest"},
                            "example": _infer_example(schema, row),
                        },
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                "responses": {
                    "200": {
                        "description": "Outputs (binary data after the JSON header when asked)",
                        "content": {
                            **_json("InferResponse"),
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                        },
                    },
                    "404": _error("Unknown model"),
                    **_CLIENT_ERRORS,
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
                },
            }
        },
        "/docs": {
            "get": {
                "summary": "Docs page",
                "responses": {"200": {"description": "HTML", "content": {"text/html": {}}}},
            }
        },
    }
    if predict_route and predict_route not in paths:
        paths[predict_route] = {"post": {**predict_op, "summary": "Predict (Vertex AI route)"}}
    if health_route and health_route not in paths:
        paths[health_route] = {"get": {"summary": "Health (Vertex AI route)", "responses": ready}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": f"Serves the model `{model_name}`.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "PredictRequest": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["instances"],
                            "properties": {
                                "instances": {"type": "array", "minItems": 1, "items": row_schema}
                            },
                        },
                        {
                            "type": "object",
                            "required": ["records"],
                            "properties": {
                                "records": {"type": "array", "minItems": 1, "items": record_schema}
                            },
                        },
                    ]
                },
                "PredictResponse": {
                    "type": "object",
                    "properties": {"predictions": {"type": "array", "items": prediction}},
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}, "error_id": {"type": "string"}},
                },
                "Status": {"type": "object"},
                "InferRequest": {
                    "type": "object",
                    "required": ["inputs"],
                    "properties": {
                        "id": {"type": "string"},
                        "parameters": {"type": "object"},
                        "inputs": {
                            "type": "array",
                            "minItems": 1,
                            "items": infer_input,
                        },
                        "outputs": {"type": "array"},
                    },
                },
                "InferResponse": {
                    "type": "object",
                    "required": ["model_name", "outputs"],
                    "properties": {
                        "model_name": {"type": "string"},
                        "model_version": {"type": "string"},
                        "id": {"type": "string"},
                        "outputs": {"type": "array", "items": v2_tensor},
                    },
                },
            }
        },
    }


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}}
code,pre,textarea{{font:13px ui-monospace,monospace}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}}
.m{{font-weight:600;color:#06c}} textarea{{width:100%;height:7rem}}
pre{{background:#f6f6f6;padding:.5rem;overflow:auto}}
</style></head><body>
<h1>{title}</h1>
<p>Model <code>{model}</code>: {detail}.
Machine-readable description: <a href="openapi.json">openapi.json</a>.</p>
<h2>Try it</h2>
<form id="f"><label for="b">POST <code>/predict</code> body</label>
<textarea id="b">{example}</textarea><button>Send</button></form>
<pre id="out">(response appears here)</pre>
<h2>Endpoints</h2>
<table><tr><th>Method</th><th>Path</th><th>What</th></tr>
{rows}
</table>
<script>
document.getElementById("f").addEventListener("submit", async (e) => {{
  e.preventDefault();
  const out = document.getElementById("out");
  try {{
    const r = await fetch("predict", {{method: "POST",
      headers: {{"content-type": "application/json"}}, body: document.getElementById("b").value}});
    out.textContent = r.status + " " + r.statusText + "\\n" + await r.text();
  }} catch (err) {{ out.textContent = String(err); }}
}});
</script>
</body></html>
"""


def docs_page(doc: dict[str, Any], model_name: str, detail: str, example: str) -> bytes:
    rows = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            rows.append(
                f'<tr><td class="m">{method.upper()}</td><td><code>{html.escape(path)}</code></td>'
                f"<td>{html.escape(op.get('summary', ''))}</td></tr>"
            )
    return _PAGE.format(
        title=html.escape(doc["info"]["title"]),
        model=html.escape(model_name),
        detail=html.escape(detail),
        example=html.escape(example),
        rows="\n".join(rows),
    ).encode()
