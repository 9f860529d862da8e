"""The desired state: what a deployer applies from a source tree at a revision.

``render_deployer`` (``deployer.py``) gives a :class:`~gitops_guard.desired.state.DesiredState`:
the objects with their origins and whether the render is complete (``state.py``).
``builds.py`` is the one place kustomize and Helm run; ``stage.py`` is ``check``'s render
stage over the same builds.  Nothing here is imported at start-up; the names below load
their module on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gitops_guard.desired.deployer import DesiredRenderer, render_deployer
    from gitops_guard.desired.state import DesiredObject, DesiredState, Gap, GapKind

__all__ = ["DesiredObject", "DesiredRenderer", "DesiredState", "Gap", "GapKind", "render_deployer"]

_HOME = {
    "DesiredRenderer": "deployer",
    "render_deployer": "deployer",
    "DesiredObject": "state",
    "DesiredState": "state",
    "Gap": "state",
    "GapKind": "state",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(name)
    import importlib

    return getattr(importlib.import_module(f"gitops_guard.desired.{_HOME[name]}"), name)
