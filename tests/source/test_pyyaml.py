"""PyYAML imported through source/pyyaml.py: the pure-Python reader's pattern is compiled on
first use, and that reader still rejects what it rejected before."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

_PROBE = """
import sys
from gitops_guard.source.yamldoc import parse  # what a one-file check imports
import yaml, yaml.reader
from gitops_guard.source.pyyaml import LazyPattern
pattern = yaml.reader.Reader.NON_PRINTABLE
assert isinstance(pattern, LazyPattern), type(pattern)
assert not pattern.compiled
try:
    yaml.load("key: \\x07", Loader=yaml.SafeLoader)  # the pure-Python reader
except yaml.reader.ReaderError as exc:
    assert exc.character == 7, exc
else:
    raise AssertionError("the pure-Python reader accepted a non-printable character")
assert pattern.compiled
assert yaml.load("key: \\u00e9t\\u00e9", Loader=yaml.SafeLoader) == {"key": "\\u00e9t\\u00e9"}
print("ok")
"""


def test_the_reader_pattern_is_compiled_on_first_use_and_still_checks() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_the_deferred_pattern_is_the_one_pyyaml_spells() -> None:
    """If PyYAML changes its pattern the deferral silently stops (the import gets slower,
    nothing breaks): this test says so."""
    import yaml.reader

    from gitops_guard.source.pyyaml import NON_PRINTABLE

    tree = ast.parse(Path(yaml.reader.__file__).read_text(encoding="utf-8"))
    spelled = [
        node.value.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and [getattr(t, "id", None) for t in node.targets] == ["NON_PRINTABLE"]
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.args[0], ast.Constant)
    ]
    assert spelled == [NON_PRINTABLE]
