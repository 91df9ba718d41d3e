"""What one embedder run needs around the user's code: names bound for the run, a described error,
and the target of `rt.call("module:function")`.

Kept apart from `embed.py` so each piece can be tested on the host without Pyodide.
"""

from __future__ import annotations

import importlib
import json
import keyword
import traceback
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

MAX_TRACEBACK_LINES = 64
"""User-code traceback lines kept in a described error (the innermost ones)."""
MAX_MESSAGE_CHARS = 4000
"""Characters of an exception's message kept in a described error."""

_MISSING = object()


class CallTargetError(ValueError):
    """`rt.call` named something that is not a callable in an importable module."""


def parse_globals(text: str | None) -> dict[str, Any]:
    """The run's `globals` option, sent as JSON text: every key must be a Python identifier."""
    if not text:
        return {}
    values = json.loads(text)
    if not isinstance(values, dict):
        raise TypeError("globals: expected an object of names to values")
    for name in values:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise TypeError(f"globals: {json.dumps(name)} is not a Python identifier")
    return values


@contextmanager
def bound_names(namespace: MutableMapping[str, Any], values: dict[str, Any]) -> Iterator[None]:
    """Bind `values` in `namespace` for the block, then put back what each name held before.

    A name the run itself rebinds keeps the run's value only if it differs from what was bound:
    `globals` are inputs for one run, not a way to leave state behind.
    """
    previous = {name: namespace.get(name, _MISSING) for name in values}
    namespace.update(values)
    try:
        yield
    finally:
        for name, old in previous.items():
            if namespace.get(name, _MISSING) is not values[name]:
                continue
            if old is _MISSING:
                namespace.pop(name, None)
            else:
                namespace[name] = old


def describe_error(error: BaseException, filename: str) -> dict[str, Any]:
    """Type, message and the traceback lines that are the user's own code (frames in `filename`).

    Frames of browser_rt, asyncio and Pyodide are left out: the embedder shows this to a person.
    """
    if isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    lines: list[str] = []
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename != filename:
            continue
        lines.append(f'File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"  {frame.line.strip()}")
    message = str(error)
    return {
        "type": type(error).__name__,
        "message": message[:MAX_MESSAGE_CHARS],
        "traceback": lines[-MAX_TRACEBACK_LINES:],
    }


def resolve_call_target(spec: str, main_namespace: MutableMapping[str, Any]) -> Any:
    """`"package.module:function"` (or `"module:Class.method"`) to the callable it names.

    `__main__` is the namespace that `runPythonAsync` snippets share, so an app can define a
    function in one run and call it from its UI later.
    """
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise CallTargetError(f"call: expected 'module:function', got {json.dumps(spec)}")
    if module_name == "__main__":
        target: Any = main_namespace
        parts = attribute.split(".")
        if parts[0] not in main_namespace:
            raise CallTargetError(f"call: {json.dumps(spec)}: __main__ has no {json.dumps(parts[0])}")
        target = main_namespace[parts[0]]
        rest = parts[1:]
    else:
        try:
            target = importlib.import_module(module_name)
        except ImportError as exc:
            raise CallTargetError(f"call: {json.dumps(spec)}: cannot import {module_name} ({exc})") from None
        rest = attribute.split(".")
    for part in rest:
        if not hasattr(target, part):
            raise CallTargetError(f"call: {json.dumps(spec)}: no attribute {json.dumps(part)}")
        target = getattr(target, part)
    if not callable(target):
        raise CallTargetError(f"call: {json.dumps(spec)} is a {type(target).__name__}, not callable")
    return target


def result_as_json(value: Any, spec: str) -> str:
    """The call's result as JSON text; anything JSON cannot carry is an error naming its type."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"call: {json.dumps(spec)} returned a value JSON cannot carry ({exc})") from None
