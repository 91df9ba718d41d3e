"""Reversible patches, applied when their library is imported (or at once if it already is).

Importing `pyodide.http`, urllib3 or httpx at start-up would cost tens of milliseconds whether
or not the program uses them, and a library that is not installed must not break the runtime.
So each patch is tied to a module name: an import hook at the front of `sys.meta_path` wraps
that module's loader and runs the patch right after the module's own code. Every replaced
attribute is recorded with what it held before, and `Patcher.undo` puts all of it back.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

type Hook = Callable[[ModuleType, Patcher], None]

_MISSING = object()


class Patcher:
    """Records attribute replacements so that `undo` restores exactly what was there."""

    def __init__(self, hooks: dict[str, str]) -> None:
        self._hooks = dict(hooks)
        """Module name -> "package.module:function" of the patch to run once it is imported."""
        self._saved: list[tuple[object, str, object]] = []
        self._applied: set[str] = set()
        self._finder: _PatchOnImport | None = None
        self.active = False

    def apply(self) -> None:
        """Patch every target already imported and hook the others; idempotent."""
        if self.active:
            return
        self.active = True
        self._finder = _PatchOnImport(self)
        sys.meta_path.insert(0, self._finder)
        for name in self._hooks:
            module = sys.modules.get(name)
            if module is not None:
                self.module_loaded(name, module)

    def undo(self) -> None:
        """Remove the hook and restore every attribute, newest first."""
        if not self.active:
            return
        self.active = False
        if self._finder is not None and self._finder in sys.meta_path:
            sys.meta_path.remove(self._finder)
        self._finder = None
        for owner, attribute, original in reversed(self._saved):
            if original is _MISSING:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)
        self._saved.clear()
        self._applied.clear()

    def targets(self) -> Sequence[str]:
        return tuple(self._hooks)

    def is_applied(self, module_name: str) -> bool:
        """Whether the patch for `module_name` ran (the module was imported while active)."""
        return module_name in self._applied

    def replace(self, owner: object, attribute: str, value: object) -> None:
        """Set `owner.attribute = value`, remembering what `undo` must put back.

        Only the owner's own attribute is recorded: an inherited one is deleted again on undo,
        so the class falls back to its base as before.
        """
        namespace = getattr(owner, "__dict__", {})
        self._saved.append((owner, attribute, namespace.get(attribute, _MISSING)))
        setattr(owner, attribute, value)

    def module_loaded(self, name: str, module: ModuleType) -> None:
        """Run the patch for `name` (once per activation)."""
        if not self.active or name in self._applied or name not in self._hooks:
            return
        self._applied.add(name)
        module_path, _, function = self._hooks[name].partition(":")
        hook: Hook = getattr(importlib.import_module(module_path), function)
        hook(module, self)


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: asks the finders after it, then wraps the loader of a target."""

    def __init__(self, patcher: Patcher) -> None:
        self._patcher = patcher

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._patcher.targets():
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                continue
            spec: importlib.machinery.ModuleSpec | None = find(fullname, path, target)
            if spec is None:
                continue
            if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _PatchingLoader(spec.loader, fullname, self._patcher)
            return spec
        return None


class _PatchingLoader(importlib.abc.Loader):
    """Runs the real loader, then the patch; everything else is the real loader's."""

    def __init__(self, inner: Any, name: str, patcher: Patcher) -> None:
        self._inner = inner
        self._name = name
        self._patcher = patcher

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        created: ModuleType | None = self._inner.create_module(spec)
        return created

    def exec_module(self, module: ModuleType) -> None:
        self._inner.exec_module(module)
        self._patcher.module_loaded(self._name, module)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._inner, attribute)
