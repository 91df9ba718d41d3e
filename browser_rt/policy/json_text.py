"""How deeply JSON text nests, read before `json.loads` sees it.

In Pyodide a recursion that deep overflows the JS stack and kills the interpreter instead of
raising RecursionError, so the policy loader and the tool client both measure first.
"""

from __future__ import annotations


def json_depth(text: str) -> int:
    """The deepest nesting of brackets in JSON text, outside strings (the page counts alike)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether JSON text nests deeper than `limit`. Text with no more opening brackets than
    `limit` cannot, so most text is answered by two counts in C, without the walk."""
    if text.count("[") + text.count("{") <= limit:
        return False
    return json_depth(text) > limit
