"""What the OpenAI API checks before it accepts a strict (Structured Outputs) schema, for the fake to check too.

Strict schemas are function tools with `"strict": true` (their `function.parameters`) and a
`response_format` of type `json_schema` with `"strict": true` (its `json_schema.schema`). A schema
the API does not accept is a 400 before any model runs, so a field added to a tool or to the
agent's answer that strict mode cannot express must fail a test here, not production.

Sources, named next to each rule below:
- [guide] OpenAI's Structured Outputs guide, "Supported schemas"
  (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas), in the version
  with "up to 5000 object properties total, with up to 10 levels of nesting" (a copy of that
  section is in the public repository robobenjie/battlebuddy, `.cursor/rules/OpenAIDoc.md`).
- [400s] error texts the real API returned, quoted in public issues: "In context=(), 'required' is
  required to be supplied and to be an array including every key in properties. Missing 'params'."
  with param `tools[1].parameters` and code `invalid_function_parameters` (kevinwatt/mysql-mcp#5);
  "In context=('properties', 'error'), 'default' is not permitted." with param
  `tools[0].function.parameters` (567-labs/instructor#1074, dotnet/extensions#6196);
  "Invalid schema for response_format 'default': In context=(), 'additionalProperties' is required
  to be supplied and to be false." with param `response_format` and code null (dottxt-ai/outlines#844);
  "object schema missing properties." (github/github-mcp-server#1548); "schema must have a 'type'
  key." (apexive/odoo-llm#212); "6 levels of nesting exceeds limit of 5." (tidyverse/ellmer#671,
  under the guide's older limit). Messages for rules without a quoted real text are ours and say so.

`default`: the guide does not list it among the supported keywords and the API answered "'default'
is not permitted" (above); newer models on api.openai.com have been reported to accept a non-null
default (openai/openai-agents-python#4390) while Azure still refuses it. The fake refuses it, as the
stricter of the two, and the SDK itself strips `default: None` for this reason
(`openai/lib/_pydantic.py`, `_ensure_strict_json_schema`).
"""

from __future__ import annotations

from typing import Any

# [guide] "Supported types": String, Number, Boolean, Integer, Object, Array, Enum, anyOf (and null in
# unions: "emulate an optional parameter by using a union type with null").
TYPES = frozenset({"string", "number", "boolean", "integer", "object", "array", "null"})
# [guide] "Supported properties": string `pattern`, `format`; number `multipleOf`, `maximum`,
# `exclusiveMaximum`, `minimum`, `exclusiveMinimum`; array `minItems`, `maxItems`. The structural
# keywords are the ones the guide's examples use (`$defs`/`definitions`, `$ref`, `enum`, `const`,
# `description`). `title` is not in the guide, but the SDK's pydantic helpers send it on every
# schema and the API accepts it. Anything else (`default`, `minLength`, `maxLength`, `allOf`, `not`,
# `if`/`then`/`else`, `patternProperties`, `uniqueItems`, ...) is refused: "If you turn on Structured
# Outputs by supplying strict: true and call the API with an unsupported JSON Schema, you will
# receive an error."
KEYWORDS = frozenset(
    {
        "type", "properties", "required", "additionalProperties", "items", "anyOf", "enum", "const",
        "$ref", "$defs", "definitions", "description", "title",
        "pattern", "format",
        "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
        "minItems", "maxItems",
    }
)
# [guide] "format — Predefined formats for strings. Currently supported: ..."
FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
MAX_PROPERTIES = 5000  # [guide] "A schema may have up to 5000 object properties total"
MAX_NESTING = 10  # [guide] "... with up to 10 levels of nesting."
MAX_STRING_TOTAL = 120_000  # [guide] property names, definition names, enum values and const values together
MAX_ENUM_VALUES = 1000  # [guide] "up to 1000 enum values across all enum properties"


class SchemaError(Exception):
    """One refusal; the server words it as the API does: `Invalid schema for {kind} '{name}': {detail}`."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def check_strict_schema(schema: Any) -> None:
    """Raise `SchemaError` for the first rule the schema breaks; return quietly when the API would accept it."""
    if not isinstance(schema, dict) or schema.get("type") != "object" or "anyOf" in schema:
        # [guide] "Root objects must not be anyOf and must be an object". Our wording.
        got = schema.get("type") if isinstance(schema, dict) else type(schema).__name__
        raise SchemaError(f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{got}\"'.")
    totals = {"properties": 0, "strings": 0, "enums": 0}
    for key in ("$defs", "definitions"):
        for name, sub in (schema.get(key) or {}).items():
            totals["strings"] += len(str(name))
            _check(sub, (key, name), schema, totals)
    _check(schema, (), schema, totals)
    if totals["properties"] > MAX_PROPERTIES:  # our wording
        raise SchemaError(f"The schema has {totals['properties']} object properties, which exceeds the limit of {MAX_PROPERTIES}.")
    if totals["strings"] > MAX_STRING_TOTAL:  # our wording
        raise SchemaError(
            f"The total string length of property names, definition names, enum values and const values is "
            f"{totals['strings']}, which exceeds the limit of {MAX_STRING_TOTAL}."
        )
    if totals["enums"] > MAX_ENUM_VALUES:  # our wording
        raise SchemaError(f"The schema has {totals['enums']} enum values, which exceeds the limit of {MAX_ENUM_VALUES}.")
    depth = _depth(schema, schema, frozenset())
    if depth > MAX_NESTING:  # [400s] wording
        raise SchemaError(f"{depth} levels of nesting exceeds limit of {MAX_NESTING}.")


def _check(node: Any, context: tuple[str, ...], root: dict[str, Any], totals: dict[str, int]) -> None:
    where = f"In context={context!r}"
    if not isinstance(node, dict):
        raise SchemaError(f"{where}, schema must be a JSON Schema object.")  # our wording
    for key in node:
        if key not in KEYWORDS:
            raise SchemaError(f"{where}, '{key}' is not permitted.")  # [400s] wording
    if "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or _resolve(root, ref) is None:  # our wording
            raise SchemaError(f"{where}, reference to component '{ref}' which was not found in the schema.")
        return  # [guide] definitions and recursion are supported; each definition is checked on its own
    if "anyOf" in node:
        variants = node["anyOf"]
        if not isinstance(variants, list) or not variants:  # our wording
            raise SchemaError(f"{where}, 'anyOf' must be a non-empty array.")
        for i, variant in enumerate(variants):  # [guide] "the nested schemas must each be a valid JSON Schema per this subset"
            _check(variant, (*context, "anyOf", str(i)), root, totals)
        return
    if "enum" in node:
        values = node["enum"]
        totals["enums"] += len(values) if isinstance(values, list) else 0
        totals["strings"] += sum(len(v) for v in values if isinstance(v, str)) if isinstance(values, list) else 0
    if isinstance(node.get("const"), str):
        totals["strings"] += len(node["const"])
    kinds = node.get("type")
    if kinds is None:
        if "enum" in node or "const" in node:
            return
        raise SchemaError(f"{where}, schema must have a 'type' key.")  # [400s] wording
    kinds_list = kinds if isinstance(kinds, list) else [kinds]
    for kind in kinds_list:
        if kind not in TYPES:  # our wording
            raise SchemaError(f"{where}, type '{kind}' is not supported.")
    if "format" in node and node["format"] not in FORMATS:  # our wording
        raise SchemaError(f"{where}, format '{node['format']}' is not supported.")
    if "object" in kinds_list:
        _check_object(node, context, where, root, totals)
    if "array" in kinds_list and "items" in node:
        _check(node["items"], (*context, "items"), root, totals)


def _check_object(node: dict[str, Any], context: tuple[str, ...], where: str, root: dict[str, Any], totals: dict[str, int]) -> None:
    properties = node.get("properties")
    if not isinstance(properties, dict):
        raise SchemaError(f"{where}, object schema missing properties.")  # [400s] wording
    if node.get("additionalProperties") is not False:
        # [guide] "additionalProperties: false must always be set in objects"; [400s] wording
        raise SchemaError(f"{where}, 'additionalProperties' is required to be supplied and to be false.")
    required = node.get("required")
    missing = [key for key in properties if not isinstance(required, list) or key not in required]
    if missing:
        # [guide] "All fields must be required"; [400s] wording
        raise SchemaError(
            f"{where}, 'required' is required to be supplied and to be an array including every key in properties. "
            f"Missing '{missing[0]}'."
        )
    extra = [key for key in required if key not in properties] if isinstance(required, list) else []
    if extra:  # our wording
        raise SchemaError(f"{where}, Extra required key '{extra[0]}' supplied.")
    totals["properties"] += len(properties)
    totals["strings"] += sum(len(str(key)) for key in properties)
    for key, sub in properties.items():
        _check(sub, (*context, "properties", key), root, totals)


def _resolve(root: dict[str, Any], ref: str) -> Any:
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for part in ref[2:].split("/"):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _depth(node: Any, root: dict[str, Any], seen: frozenset[str]) -> int:
    """Levels of object nesting below and including `node`, following `$ref`s (a recursive one counts once)."""
    if not isinstance(node, dict):
        return 0
    if "$ref" in node:
        ref = node["$ref"]
        if ref in seen:
            return 0
        return _depth(_resolve(root, ref), root, seen | {ref})
    children: list[Any] = list(node.get("anyOf") or [])
    if "items" in node:
        children.append(node["items"])
    inner = [_depth(c, root, seen) for c in children]
    kinds = node.get("type")
    is_object = kinds == "object" or (isinstance(kinds, list) and "object" in kinds)
    if is_object:
        props = [_depth(sub, root, seen) for sub in (node.get("properties") or {}).values()]
        return 1 + max(props + inner, default=0)
    return max(inner, default=0)
