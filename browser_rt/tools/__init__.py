"""Host functions as capabilities: `await cx.tools.call("search", query="...")`.

The page grants named tools (createRuntime's `tools` option); a task calls them through its
`Cx`, which may be narrowed to fewer (`cx.narrow(tools=[...])`). The page performs each call
and checks it again; see docs/tools.md.
"""

from browser_rt.tools.client import authorized_tool_call
from browser_rt.tools.errors import (
    TOOL_ERROR_TYPES,
    ToolAborted,
    ToolBridgeError,
    ToolDenied,
    ToolError,
    ToolFailed,
    ToolNotGranted,
    ToolResultInvalid,
    ToolTimeout,
    tool_error_for,
)
from browser_rt.tools.grant import ToolGrant, ToolLimits
from browser_rt.tools.host import NoToolHost, ToolCall, ToolHost

__all__ = [
    "TOOL_ERROR_TYPES",
    "NoToolHost",
    "ToolAborted",
    "ToolBridgeError",
    "ToolCall",
    "ToolDenied",
    "ToolError",
    "ToolFailed",
    "ToolGrant",
    "ToolHost",
    "ToolLimits",
    "ToolNotGranted",
    "ToolResultInvalid",
    "ToolTimeout",
    "authorized_tool_call",
    "tool_error_for",
]
