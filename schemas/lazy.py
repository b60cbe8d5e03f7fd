"""Lazy re-exports for package ``__init__`` files (PEP 562), so that importing a package stays cheap.

A package re-exports names from its modules; with :func:`lazy_exports` each name's module is imported the
first time the name is used, so ``import competitions`` does not load pandas until a grading name is
touched. Every public name stays importable as before (``from competitions import grade``).

A re-exported function may share its name with its module (``mle_datasets.prepare`` is the function of
``mle_datasets/prepare.py``): importing the submodule binds the module on its package, which would hide the
function, so the package refuses that binding and the name keeps meaning the function.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any, Mapping, Sequence

__all__ = ["lazy_exports"]


class _LazyPackage(types.ModuleType):
    """A package module whose re-exported names load their modules on first use."""

    def __getattr__(self, name: str) -> Any:
        source = self.__dict__.get("_lazy_exports", {}).get(name)
        if source is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        exports = self.__dict__.get("_lazy_exports", {})
        if (name in exports and isinstance(value, types.ModuleType)
                and value.__name__ == f"{self.__name__}.{name}"):
            return  # the submodule of a re-exported name's spelling: the name keeps meaning what it exports
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(self.__dict__) | set(self.__dict__.get("_lazy_exports", {})))


def lazy_exports(package: str, modules: Mapping[str, Sequence[str]]) -> None:
    """Make each name of ``modules`` (``{module: [names]}``) an attribute of ``package`` loaded on first use.

    Call it at the end of the package's ``__init__.py`` with ``__name__``.

    >>> import sys, types
    >>> sys.modules["toy_pkg"] = types.ModuleType("toy_pkg")
    >>> lazy_exports("toy_pkg", {"json": ["dumps"]})
    >>> "dumps" in vars(sys.modules["toy_pkg"]), sys.modules["toy_pkg"].dumps([1])
    (False, '[1]')
    >>> del sys.modules["toy_pkg"]
    """
    module = sys.modules[package]
    exports = {name: source for source, names in modules.items() for name in names}
    module.__dict__["_lazy_exports"] = exports
    module.__class__ = _LazyPackage
