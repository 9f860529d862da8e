"""deferred_imports: a module imported while another is a stand-in that loads on first use."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_guard.deferred_imports import Deferred, import_with, real_module


@pytest.fixture
def modules(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A holder module that imports a heavy one at import time and uses it in a function."""
    tag = request.node.name.replace("[", "_").replace("]", "_").replace("-", "_")
    holder, heavy = f"holder_{tag}", f"heavy_{tag}"
    (tmp_path / f"{heavy}.py").write_text(
        "import sys\nsys.loaded_heavy = True\nVALUE = 42\n", encoding="utf-8"
    )
    (tmp_path / f"{holder}.py").write_text(
        f"import {heavy}\n\ndef use():\n    return {heavy}.VALUE\n\ndef helper():\n    return {heavy}\n",
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    sys.loaded_heavy = False  # type: ignore[attr-defined]
    try:
        yield holder, heavy
    finally:
        sys.path.remove(str(tmp_path))
        for name in (holder, heavy):
            sys.modules.pop(name, None)
        del sys.loaded_heavy  # type: ignore[attr-defined]


def test_the_heavy_module_loads_on_first_use_and_never_stays_a_stand_in(modules: tuple[str, str]) -> None:
    holder, heavy = modules
    module = import_with(holder, {heavy: Deferred})
    assert module is sys.modules[holder]
    assert sys.loaded_heavy is False  # type: ignore[attr-defined]
    assert heavy not in sys.modules  # the stand-in is gone; only the holder refers to it
    assert module.use() == 42
    assert sys.loaded_heavy is True  # type: ignore[attr-defined]
    real = sys.modules[heavy]
    assert not isinstance(real, Deferred) and real.VALUE == 42
    assert module.use() == 42


def test_a_module_imported_before_is_used_as_it_is(modules: tuple[str, str]) -> None:
    holder, heavy = modules
    __import__(heavy)
    real = sys.modules[heavy]
    module = import_with(holder, {heavy: Deferred})
    assert module.helper() is real


def test_an_imported_holder_is_returned_without_a_stand_in(modules: tuple[str, str]) -> None:
    holder, heavy = modules
    first = __import__(holder)
    assert sys.loaded_heavy is True  # type: ignore[attr-defined]
    assert import_with(holder, {heavy: Deferred}) is first


def test_the_stand_ins_leave_when_the_import_fails(tmp_path: Path, modules: tuple[str, str]) -> None:
    _, heavy = modules
    (tmp_path / "broken_holder.py").write_text(
        f"import {heavy}\nraise RuntimeError('no')\n", encoding="utf-8"
    )
    try:
        with pytest.raises(RuntimeError, match="no"):
            import_with("broken_holder", {heavy: Deferred})
        assert heavy not in sys.modules and "broken_holder" not in sys.modules
    finally:
        sys.modules.pop("broken_holder", None)


def test_first_use_runs_while_the_stand_ins_are_in_place(tmp_path: Path, modules: tuple[str, str]) -> None:
    _, heavy = modules
    # An extension-like module that imports its helper when first called, not when imported.
    (tmp_path / "late_holder.py").write_text(
        f"def call():\n    import {heavy}\n    global kept\n    kept = {heavy}\n", encoding="utf-8"
    )
    try:
        seen: list[object] = []
        module = import_with("late_holder", {heavy: Deferred}, first_use=lambda m: seen.append(m.call()))
        assert seen == [None] and isinstance(module.kept, Deferred)
        assert heavy not in sys.modules and sys.loaded_heavy is False  # type: ignore[attr-defined]
        assert module.kept.VALUE == 42 and sys.loaded_heavy is True  # type: ignore[attr-defined]
    finally:
        sys.modules.pop("late_holder", None)


def test_a_stand_in_may_answer_some_names_itself(modules: tuple[str, str]) -> None:
    holder, heavy = modules

    class Partial(Deferred):
        VALUE = 7

    module = import_with(holder, {heavy: Partial})
    assert module.use() == 7 and sys.loaded_heavy is False  # type: ignore[attr-defined]
    assert isinstance(module.helper(), Partial)


def test_real_module_replaces_a_stand_in_left_in_sys_modules(modules: tuple[str, str]) -> None:
    _, heavy = modules
    sys.modules[heavy] = Deferred(heavy)
    real = real_module(heavy)
    assert isinstance(real, types.ModuleType) and not isinstance(real, Deferred)
    assert sys.modules[heavy] is real and real.VALUE == 42
