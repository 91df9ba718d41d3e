"""What a tool call raises: a refusal before the tool runs, or a failure with a stable code."""

from __future__ import annotations


class ToolDenied(PermissionError):
    """The call was refused (by this task's grant or by the page's re-check); the tool never ran.

    `reason` is a stable word: `not_granted`, `invalid_args`, `args_too_large`, `rate_limited`,
    `invalid_request`.
    """

    def __init__(self, tool: str, reason: str, detail: str = "") -> None:
        super().__init__(f"tool {tool!r} denied: {reason}" + (f" ({detail})" if detail else ""))
        self.tool = tool
        self.reason = reason
        self.detail = detail


class ToolNotGranted(ToolDenied):
    """The page did not grant this tool, or this task's `Cx` was narrowed without it."""

    def __init__(self, tool: str, detail: str = "not granted to this task") -> None:
        super().__init__(tool, "not_granted", detail)


class ToolError(Exception):
    """A call the grant allowed that produced no result. `code` is stable; `tool` names it."""

    code = "tool_error"

    def __init__(self, tool: str, message: str = "") -> None:
        super().__init__(message or self.code)
        self.tool = tool


class ToolFailed(ToolError):
    """The tool itself raised; the message is the tool's own (never a JS stack)."""

    code = "tool_error"


class ToolTimeout(ToolError):
    """The tool gave no result within its timeout; its AbortSignal fired."""

    code = "timeout"


class ToolAborted(ToolError):
    """The call was aborted (its task was cancelled, or the runtime stopped)."""

    code = "aborted"


class ToolResultInvalid(ToolError):
    """The tool returned something that is not JSON, or more of it than its bound."""

    code = "invalid_result"


class ToolBridgeError(ToolError):
    """The host could not carry the call (a broken bridge, a duplicate id)."""

    code = "bridge"


TOOL_ERROR_TYPES: dict[str, type[ToolError]] = {
    cls.code: cls for cls in (ToolFailed, ToolTimeout, ToolAborted, ToolResultInvalid, ToolBridgeError)
}


def tool_error_for(tool: str, code: str, message: str = "") -> ToolError:
    """Map a bridge error code to its exception; unknown codes become ToolBridgeError."""
    return TOOL_ERROR_TYPES.get(code, ToolBridgeError)(tool, message)
