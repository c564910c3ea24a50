"""Checked readers for JSON that came off the wire.

A server that breaks the protocol must surface as a ``DeserializationError``
that says what was wrong and where, never as a ``KeyError`` or ``TypeError``
from deep inside a parser. Every reader takes ``where``, a short phrase
naming the object being read, for the error message.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import DeserializationError


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:  # JSONDecodeError, or an integer too long to convert
        raise DeserializationError(f"{where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise DeserializationError(f"{where} is nested too deeply") from None


def as_dict(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DeserializationError(f"{where} should be a JSON object, got {_kind(value)}")
    return value


def as_list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise DeserializationError(f"{where} should be a JSON array, got {_kind(value)}")
    return value


def opt_dict(obj: dict[str, Any], key: str, where: str) -> dict[str, Any] | None:
    """``obj[key]`` as an object, or None when it is absent or null."""
    value = obj.get(key)
    return None if value is None else as_dict(value, f"{where}.{key}")


def opt_list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    """``obj[key]`` as an array; absent or null reads as empty."""
    value = obj.get(key)
    return [] if value is None else as_list(value, f"{where}.{key}")


def req_str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        raise DeserializationError(f"{where}.{key} should be a string, got {_kind(value)}")
    return value


def opt_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    """``obj[key]`` as a string, or None when it is absent or null."""
    value = obj.get(key)
    return None if value is None else req_str(obj, key, where)


def opt_count(obj: dict[str, Any], key: str, where: str) -> int | None:
    """A token count: a non-negative integer, or None when absent or null."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DeserializationError(f"{where}.{key} should be a token count, got {value!r}")
    return value


def index_of(obj: dict[str, Any], where: str) -> int:
    value = obj.get("index")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DeserializationError(f"{where}.index should be a non-negative integer, got {value!r}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
    }
    return names.get(type(value), f"a {type(value).__name__}")
