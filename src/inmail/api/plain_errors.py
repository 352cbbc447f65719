"""Validation failures in plain words: the `detail` of a 422.

Pydantic's messages name its internals (union branches such as
``function-after[functools.partial(<function max_length_validator ...)]``,
"items after validation" for a string, ``body.10: JSON decode error``). A
client's developer should read what to fix instead: ``subject: at most 200
characters``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# What a pattern of the OpenAPI document means, for its mismatch message.
PATTERN_WORDS: dict[str, str] = {}

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
# Tags pydantic puts in a location for the branches of a union; not fields.
_UNION_TAGS = {"none", "str", "int", "float", "bool"}
_WHERE = {"query": "query parameter ", "path": "path parameter ", "header": "header "}


def explain_pattern(pattern: str, words: str) -> str:
    """Register what ``pattern`` means; returns the pattern, for ``Field(pattern=...)``."""
    PATTERN_WORDS[pattern] = words
    return pattern


def _where(loc: Iterable[Any]) -> str:
    parts = list(loc)
    source = parts.pop(0) if parts and parts[0] in ("body", "query", "path", "header") else None
    fields = [
        str(p)
        for p in parts
        if isinstance(p, int) or (_FIELD.match(str(p)) and str(p) not in _UNION_TAGS)
    ]
    name = ".".join(fields)
    if source in _WHERE and name:
        return _WHERE[source] + name
    return name or ("the body" if source == "body" else "the request")


def _length(error: Mapping[str, Any], bound: str) -> str:
    ctx = error.get("ctx") or {}
    limit = ctx.get(bound)
    unit = "characters" if isinstance(error.get("input"), str) else "items"
    if bound == "min_length" and limit == 1 and unit == "characters":
        return "must not be empty"
    word = "at most" if bound == "max_length" else "at least"
    return f"must be {word} {limit} {unit}"


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this request"
    if kind in ("string_too_long", "too_long"):
        return _length(error, "max_length")
    if kind in ("string_too_short", "too_short"):
        return _length(error, "min_length")
    if kind == "string_type":
        return "must be a string"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_type", "float_parsing", "finite_number"):
        return "must be a number"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind.startswith("datetime") or kind.startswith("date_"):
        return "must be an RFC 3339 time such as 2026-01-15T09:30:00Z"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern", ""))
        return PATTERN_WORDS.get(pattern, f"must match the pattern {pattern}")
    if kind == "value_error":
        return str(ctx.get("error") or error.get("msg", "is not valid"))
    message = str(error.get("msg", "is not valid"))
    return re.sub(r"^Input should be ", "must be ", message)


def describe(errors: Iterable[Mapping[str, Any]]) -> str:
    """One clause per failing field, e.g. ``subject: must be at most 200
    characters; to: is required``."""
    errors = list(errors)
    for error in errors:
        kind = error.get("type")
        loc = tuple(error.get("loc", ()))
        if kind == "json_invalid":
            ctx = error.get("ctx") or {}
            at = f" at character {loc[1]}" if len(loc) > 1 else ""
            return f"the body is not valid JSON{at}: {ctx.get('error', 'cannot be read')}"
        if loc == ("body",) and kind in ("missing", "model_attributes_type", "dict_type"):
            return "the body must be a JSON object, sent with Content-Type: application/json"
    # A union's "or it could be null" branch only repeats the real failure.
    real = [e for e in errors if e.get("type") != "none_required"] or errors
    clauses: list[str] = []
    for error in real:
        clause = f"{_where(error.get('loc', ()))}: {_message(error)}"
        if clause not in clauses:
            clauses.append(clause)
    return "; ".join(clauses) or "the request is not valid"
