"""`GET /api/openapi.json`: the OpenAPI 3.1 description of every route the hub serves."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from protocol.version import package_version

JSON = "application/json"
BINARY = {"type": "string", "format": "binary"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    reasons = {
        400: "the request is wrong (the message says how)",
        401: "the token is missing or wrong",
        404: "no such satellite",
        409: "the satellite cannot do that now",
        413: "the body or the text is too long",
        503: "that service is turned off on this hub",
        504: "the request took too long",
    }
    return {str(status): _json(_ref("Error"), reasons[status]) for status in statuses}


SATELLITE_ID = {
    "name": "satellite_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "the satellite's id (from GET /api/satellites)",
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "stable, for programs"},
            "message": {"type": "string", "description": "why, for people"},
        },
    },
    "Event": {
        "type": "object",
        "description": "one pipeline event (or, on the WebSocket, a state change: type `state`)",
        "required": ["type", "run_id", "node_id", "timestamp_ms"],
        "properties": {
            "type": {"type": "string", "examples": ["run-start", "stt-end", "state"]},
            "run_id": {"type": ["string", "null"]},
            "node_id": {"type": "string"},
            "timestamp_ms": {"type": "integer", "description": "wall clock, epoch ms"},
        },
        "additionalProperties": True,
    },
    "Run": {
        "type": "object",
        "required": ["run_id", "node_id", "timings_ms", "events"],
        "properties": {
            "run_id": {"type": "string"},
            "node_id": {"type": "string"},
            "timings_ms": {
                "type": "object",
                "additionalProperties": {"type": "number"},
                "description": "ms from the end of speech (or the run's start) to each stage",
            },
            "events": {"type": "array", "items": _ref("Event")},
        },
    },
    "Satellite": {
        "type": "object",
        "required": ["id", "name", "state", "connected", "runs"],
        "properties": {
            "id": {"type": "string"},
            "name": {"type": "string"},
            "area": {"type": ["string", "null"]},
            "address": {"type": ["string", "null"]},
            "state": {"type": "string"},
            "connected": {"type": "boolean"},
            "runs": {"type": "array", "items": _ref("Run")},
        },
    },
}


def _paths() -> dict[str, Any]:
    open_route: dict[str, Any] = {"security": []}
    return {
        "/health": {
            "get": {
                "summary": "The hub is alive",
                **open_route,
                "responses": {"200": _json({"type": "object"}, "uptime, state and models")},
            }
        },
        "/health/ready": {
            "get": {
                "summary": "The hub can do its job: models, MQTT, zeroconf, listed satellites",
                "responses": {
                    "200": _json({"type": "object"}, "ready, with each check"),
                    "503": _json({"type": "object"}, "not ready: `reasons` says why"),
                    **_errors(401),
                },
            }
        },
        "/api/stt": {
            "post": {
                "summary": "Speech to text",
                "parameters": [
                    {"name": n, "in": "query", "schema": {"type": "integer"}, "description": d}
                    for n, d in (
                        ("rate", "raw PCM: samples per second"),
                        ("width", "raw PCM: bytes per sample"),
                        ("channels", "raw PCM: channels"),
                    )
                ]
                + [{"name": "language", "in": "query", "schema": {"type": "string"}}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "audio/wav": {"schema": {"type": "string", "format": "binary"}},
                        "application/octet-stream": {
                            "schema": {"type": "string", "format": "binary"}
                        },
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["text", "language", "duration_s", "timings_ms"],
                            "properties": {
                                "text": {"type": "string"},
                                "language": {"type": ["string", "null"]},
                                "duration_s": {"type": ["number", "null"]},
                                "timings_ms": {"type": "object"},
                                "run_id": {"type": "string"},
                            },
                        },
                        "the transcript",
                    ),
                    **_errors(400, 401, 413, 503, 504),
                },
            }
        },
        "/api/tts": {
            "post": {
                "summary": "Text to speech, streamed as WAV while it is rendered",
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {
                                    "text": {"type": "string"},
                                    "voice": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "16-bit PCM WAV (its sizes left open: it is streamed)",
                        "content": {
                            "audio/wav": {"schema": {"type": "string", "format": "binary"}}
                        },
                    },
                    **_errors(400, 401, 413, 503, 504),
                },
            }
        },
        "/api/voices": {
            "get": {
                "summary": "The voices this hub speaks with",
                "responses": {"200": _json({"type": "object"}, "`voices`"), **_errors(401)},
            }
        },
        "/api/models": {
            "get": {
                "summary": "The loaded models",
                "responses": {"200": _json({"type": "object"}, "stt, tts, wake"), **_errors(401)},
            }
        },
        "/api/converse": {
            "post": {
                "summary": "Text through the pipeline as if it had been said",
                "requestBody": {
                    "required": True,
                    "content": {
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {
                                    "text": {"type": "string"},
                                    "satellite": {"type": "string"},
                                    "speak": {"type": "boolean", "default": False},
                                    "conversation_id": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}, "the answer and the actions taken"),
                    **_errors(400, 401, 404, 409, 413, 504),
                },
            }
        },
        "/api/satellites": {
            "get": {
                "summary": "The satellites the hub drives",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {
                                "satellites": {"type": "array", "items": _ref("Satellite")}
                            },
                        },
                        "every satellite with its recent runs",
                    ),
                    **_errors(401),
                },
            }
        },
        "/api/satellites/{satellite_id}/announce": {
            "post": {
                "summary": "Speak a text on a satellite (or `all`) when it is idle",
                "parameters": [SATELLITE_ID],
                "requestBody": {
                    "required": True,
                    "content": {
                        "text/plain": {"schema": {"type": "string"}},
                        JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {"text": {"type": "string"}},
                            }
                        },
                    },
                },
                "responses": {
                    "202": _json({"type": "object"}, "`queued_on`: the satellites"),
                    **_errors(400, 401, 404, 413),
                    "503": _json(_ref("Error"), "the announcement queue is full"),
                },
            }
        },
        "/api/satellites/{satellite_id}/listen": {
            "post": {
                "summary": "Start a run on a satellite without the wake word",
                "parameters": [SATELLITE_ID],
                "responses": {
                    "202": _json({"type": "object"}, "`listening`: now or asked"),
                    **_errors(401, 404, 409),
                },
            }
        },
        "/api/runs": {
            "get": {
                "summary": "The last runs, newest first, with each stage's timing",
                "parameters": [
                    {"name": "satellite", "in": "query", "schema": {"type": "string"}},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}},
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"runs": {"type": "array", "items": _ref("Run")}},
                        },
                        "the runs",
                    ),
                    **_errors(400, 401, 404),
                },
            }
        },
        "/api/events": {
            "get": {
                "summary": "WebSocket: every pipeline event and state change, live",
                "description": "Each message is one JSON Event. A browser, which cannot send "
                "headers on a WebSocket, may give the token as `?token=`.",
                "parameters": [
                    {"name": "satellite", "in": "query", "schema": {"type": "string"}},
                    {"name": "token", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "101": {"description": "switching to the WebSocket protocol"},
                    **_errors(401, 404),
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "the Prometheus text format",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    },
                    **_errors(401),
                },
            }
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1"), **_errors(401)},
            }
        },
        "/": {
            "get": {
                "summary": "The dashboard (a page that asks for the token when one is set)",
                **open_route,
                "responses": {
                    "200": {
                        "description": "HTML",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/static/{file}": {
            "get": {
                "summary": "The dashboard's script and style",
                **open_route,
                "parameters": [
                    {"name": "file", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "the file"}, "404": {"description": "none"}},
            }
        },
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "homevoice hub",
            "version": package_version(),
            "description": "Speech, runs, live events and metrics of a homevoice hub. Errors "
            "are JSON `{code, message}`. With a token configured, every route but /health and "
            "the dashboard's page needs `Authorization: Bearer <token>`.",
        },
        "servers": [{"url": "./"}],
        "paths": _paths(),
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


async def openapi(_request: web.Request) -> web.Response:
    """This hub's OpenAPI document."""
    return web.json_response(document())
