"""The building blocks of the OpenAPI document: references, objects, answers, parameters."""

from __future__ import annotations

from typing import Any

JSON = "application/json"
LIBRARY_CODE = {"type": "string", "pattern": "^[a-z0-9-]+$"}


def ref(name: str) -> dict[str, str]:
    """A reference to a schema of the document's components."""
    return {"$ref": f"#/components/schemas/{name}"}


def strings(description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
    return {**schema, "description": description} if description else schema


def object_schema(description: str, **properties: Any) -> dict[str, Any]:
    """An object with these properties, every one always present."""
    return {
        "type": "object",
        "description": description,
        "required": list(properties),
        "properties": properties,
    }


def answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def error(description: str) -> dict[str, Any]:
    return answer(description, ref("Error"))


def parameter(name: str, description: str, schema: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "description": description, "schema": schema, **more}
