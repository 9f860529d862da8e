"""Import a module without the modules it loads only to keep for a rare call.

Some modules on the pre-commit hook's path import others at import time that they use
in one rarely called function: ``urllib.parse`` (which ``pathlib`` imports) loads
``ipaddress`` for bracketed IPv6 hosts, PyYAML's constructor loads ``datetime`` for
timestamps, jsonschema-rs loads ``decimal`` and ``email.utils`` (see
``schema/jsonschema_import.py``). Each costs a one-file run about a millisecond or more.

``import_with(name, stand_ins)`` imports ``name`` while each named module, when it is not
imported yet, is a stand-in: a module whose attributes are the real module's, imported on
first access (:class:`Deferred`), or a subclass of it that answers some attributes
itself. The stand-ins leave ``sys.modules`` as soon as the import returns, so every other
importer gets the real modules; only ``name``'s own reference goes through a stand-in.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping

__all__ = ["Deferred", "import_with", "real_module"]


class Deferred(types.ModuleType):
    """A module that imports the real one of its name on first use of an attribute."""

    def __getattr__(self, attribute: str) -> object:
        return getattr(real_module(self.__name__), attribute)


def real_module(name: str) -> types.ModuleType:
    """The real module ``name`` (imported now if needed), never a stand-in."""
    if isinstance(sys.modules.get(name), Deferred):
        del sys.modules[name]
    return importlib.import_module(name)


def import_with(
    name: str,
    stand_ins: Mapping[str, Callable[[str], Deferred]],
    first_use: Callable[[types.ModuleType], object] | None = None,
) -> types.ModuleType:
    """Import ``name`` with a stand-in (``stand_ins[module](module)``) for each module not
    imported yet; the stand-ins are removed from ``sys.modules`` when the import returns,
    or after ``first_use(module)`` when given: for an extension that imports a module the
    first time it is called rather than when it is imported."""
    if name in sys.modules:
        return sys.modules[name]
    placed: dict[str, Deferred] = {}
    for module, make in stand_ins.items():
        if module not in sys.modules:
            placed[module] = sys.modules[module] = make(module)
    try:
        imported = importlib.import_module(name)
        if first_use is not None:
            first_use(imported)
        return imported
    finally:
        for module, stand_in in placed.items():
            if sys.modules.get(module) is stand_in:
                del sys.modules[module]
