"""Command forms drawn from the app's own OpenAPI document.

A command's form has the fields of its request body as the API declares them, and
is shown only to callers holding one of its ``x-roles``; what a form sends is
turned back into the JSON the API expects, field by field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

PATH_PARAM = re.compile(r"{(\w+)}")


@dataclass
class Field_:
    name: str
    label: str
    required: bool
    kind: str  # string, text, integer, number, boolean, json, enum, date, datetime
    choices: list[str] = field(default_factory=list)
    input: str = "text"
    step: str | None = None
    placeholder: str = ""
    example: str = ""
    location: str = "body"


@dataclass
class CommandForm:
    name: str
    label: str
    template: str
    roles: list[str]
    fields: list[Field_]
    open: bool = False


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _unwrap(spec: dict[str, Any], schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The schema without its ``null`` alternative, and whether it had one."""
    schema = _resolve(spec, schema)
    options = schema.get("anyOf")
    if options:
        others = [o for o in options if o.get("type") != "null"]
        nullable = len(others) < len(options)
        if len(others) == 1:
            inner, _ = _unwrap(spec, others[0])
            return inner, nullable
        # Money: a number or a string.
        return {"type": "string", "description": schema.get("description", "")}, nullable
    return schema, False


def field_of(spec: dict[str, Any], name: str, schema: dict[str, Any], required: bool) -> Field_:
    inner, _ = _unwrap(spec, schema)
    label = schema.get("title") or inner.get("title") or name.replace("_", " ")
    kind = inner.get("type", "string")
    if "enum" in inner:
        return Field_(name, label, required, "enum", [str(v) for v in inner["enum"]])
    if kind == "boolean":
        return Field_(name, label, required, "boolean", ["true", "false"])
    if kind == "integer":
        return Field_(name, label, required, "integer", input="number", step="1")
    if kind == "number":
        return Field_(name, label, required, "number", input="number", step="any")
    if kind in ("array", "object"):
        example = "[]" if kind == "array" else "{}"
        return Field_(name, label, required, "json", example=example)
    fmt = inner.get("format")
    if fmt == "date":
        return Field_(name, label, required, "date", input="date")
    if fmt == "date-time":
        return Field_(name, label, required, "datetime", placeholder="2026-01-31T09:00:00+08:00")
    if (inner.get("maxLength") or 0) >= 1000:
        return Field_(name, label, required, "text")
    examples = inner.get("examples") or schema.get("examples") or []
    placeholder = str(examples[0]) if examples else ""
    return Field_(name, label, required, "string", placeholder=placeholder)


def command_forms(
    spec: dict[str, Any], collection: str, id_name: str, roles: set[str]
) -> list[CommandForm]:
    """Every command on one aggregate of ``collection`` that ``roles`` may send."""
    prefix = f"/{collection}/{{{id_name}}}/"
    forms = []
    for template, operations in spec["paths"].items():
        post = operations.get("post")
        if post is None or not template.startswith(prefix):
            continue
        allowed = post.get("x-roles", [])
        if not roles & set(allowed):
            continue
        fields = [
            Field_(p, p.replace("_", " "), True, "string", location="path")
            for p in PATH_PARAM.findall(template)
            if p != id_name
        ]
        body = post.get("requestBody", {}).get("content", {}).get("application/json", {})
        if body:
            schema = _resolve(spec, body["schema"])
            required = set(schema.get("required", []))
            for name, prop in schema.get("properties", {}).items():
                fields.append(field_of(spec, name, prop, name in required))
        name = post.get("operationId", template)
        forms.append(CommandForm(name, name.replace("_", " "), template, sorted(allowed), fields))
    return forms


def find_form(forms: list[CommandForm], template: str) -> CommandForm | None:
    return next((f for f in forms if f.template == template), None)


class FormValueError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def body_of(form: CommandForm, sent: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """(path parameters, JSON body) from a submitted form; empty optional fields are left out."""
    path: dict[str, str] = {}
    body: dict[str, Any] = {}
    for f in form.fields:
        raw = sent.get(f"f.{f.name}", "").strip()
        if f.location == "path":
            if not raw:
                raise FormValueError(f.name, "is required")
            path[f.name] = raw
            continue
        if raw == "":
            continue
        try:
            if f.kind == "integer":
                body[f.name] = int(raw)
            elif f.kind == "boolean":
                body[f.name] = raw == "true"
            elif f.kind == "json":
                body[f.name] = json.loads(raw)
            else:
                body[f.name] = raw
        except ValueError:
            raise FormValueError(f.name, "is not valid") from None
    return path, body


def template_of(spec: dict[str, Any], path: str) -> str | None:
    """The OpenAPI path template a concrete POST path belongs to."""
    for template, operations in spec["paths"].items():
        if "post" not in operations:
            continue
        pattern = (
            "^"
            + PATH_PARAM.sub(r"[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}"))
            + "$"
        )
        if re.match(pattern, path):
            return template
    return None


def needs_fields(spec: dict[str, Any], template: str) -> bool:
    """Whether the command's body has required fields (a one-click button cannot send it)."""
    post = spec["paths"][template]["post"]
    body = post.get("requestBody", {}).get("content", {}).get("application/json", {})
    return bool(body) and bool(_resolve(spec, body["schema"]).get("required"))
