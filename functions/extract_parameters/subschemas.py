"""Finding the part of a ``parameters`` schema that governs one value of the arguments.

Shared by the reading of the model's reply (normalize.py) and the grounding of its values
(grounding.py), which both walk the arguments and the schema side by side. Only local
``$ref`` are followed (the only kind ``parameters`` may hold, see schemas.check_parameters).
"""

from __future__ import annotations

from typing import Any

__all__ = ["item_schema", "property_schema", "resolve"]


def property_schema(schema: dict[str, Any], key: str) -> Any:
    """The subschema of property ``key``: from ``properties``, else ``additionalProperties``, else {}."""
    properties = schema.get("properties")
    if isinstance(properties, dict) and key in properties:
        return properties[key]
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, dict) else {}


def item_schema(schema: dict[str, Any], index: int) -> Any:
    """The subschema of array item ``index``: from ``prefixItems``, else ``items``, else {}."""
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and index < len(prefix):
        return prefix[index]
    items = schema.get("items")
    return items if isinstance(items, dict) else {}


def resolve(schema: Any, root: dict[str, Any]) -> dict[str, Any]:
    """The subschema a local ``$ref`` points to (the only references parameters may hold); {} if none."""
    seen = 0
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node.get(part.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
        schema, seen = node, seen + 1
    return schema if isinstance(schema, dict) else {}
