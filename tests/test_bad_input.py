"""Hostile and broken input: a clear finding with the file name, in seconds, and the
run goes on with the other files."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.helpers import check_json

GOOD = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\ndata:\n  a: b\n"


def _bomb() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    prev = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
        prev = name
    return "\n".join(lines) + "\n"


CASES: dict[str, tuple[bytes, str | None]] = {
    # name: (content, expected rule or None for "no finding")
    "alias-bomb.yaml": (_bomb().encode(), "yaml/too-complex"),
    "deep.yaml": (("a: " + "[" * 10000 + "]" * 10000 + "\n").encode(), "yaml/too-complex"),
    "deep-block.yaml": ("".join("  " * i + "k:\n" for i in range(10000)).encode(), "yaml/too-complex"),
    "binary.yaml": (bytes(range(256)) * 4, "yaml/syntax"),
    "latin1.yaml": (b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n", "yaml/syntax"),
    "bom.yaml": (b"\xef\xbb\xbf" + GOOD.encode(), None),
    "crlf.yaml": (GOOD.replace("\n", "\r\n").encode(), None),
    "python-tag.yaml": (b"a: !!python/object/apply:os.system ['touch /tmp/gitops-guard-pwned']\n", None),
    "empty.yaml": (b"", None),
    "separator.yaml": (b"---\n", None),
    "control-char.yaml": (b"a: \x07bell\n", "yaml/syntax"),
    # ingress-nginx's tcp-services: Kubernetes reads the keys as "5432", "true", "1.5".
    "number-keys.yaml": (
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: tcp-services}\n"
        b"data:\n  5432: default/db:5432\n  true: x\n  1.5: y\n",
        None,
    ),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("bad")
    for name, (content, _) in CASES.items():
        (root / name).write_bytes(content)
    (root / "zz-good.yaml").write_text(GOOD)
    big = root / "huge.yaml"
    with big.open("w") as fh:  # 50 MB of valid YAML
        line = "  key%07d: " + "x" * 80 + "\n"
        fh.write("data:\n")
        for i in range(50 * 1024 * 1024 // len(line % 0)):
            fh.write(line % i)
    start = time.monotonic()
    _, data = check_json(".", cwd=root, timeout=60)
    data["elapsed"] = time.monotonic() - start
    return data


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_bad_file_gets_a_clear_finding_or_none(report: dict, name: str) -> None:  # type: ignore[type-arg]
    expected = CASES[name][1]
    rules = [f["rule"] for f in report["findings"] if f["path"] == name]
    if expected is None:
        assert rules == []
    else:
        assert rules == [expected]
        [finding] = [f for f in report["findings"] if f["path"] == name]
        assert finding["message"]


def test_big_file_is_refused_with_its_size(report: dict) -> None:  # type: ignore[type-arg]
    [finding] = [f for f in report["findings"] if f["path"] == "huge.yaml"]
    assert finding["rule"] == "yaml/too-complex"
    assert "MiB" in finding["message"]
    assert finding["outcome"] == "not-checked"


def test_run_continues_and_is_fast(report: dict) -> None:  # type: ignore[type-arg]
    assert report["summary"]["files"] == len(CASES) + 2
    assert not [f for f in report["findings"] if f["path"] == "zz-good.yaml"]
    assert report["elapsed"] < 30


def test_invalid_utf8_has_position(report: dict) -> None:  # type: ignore[type-arg]
    [finding] = [f for f in report["findings"] if f["path"] == "latin1.yaml"]
    assert (finding["line"], finding["column"]) == (4, 12)


def test_python_tag_never_constructed() -> None:
    assert not Path("/tmp/gitops-guard-pwned").exists()


def test_a_number_key_is_validated_as_the_string_kubernetes_reads(tmp_path: Path) -> None:
    port = (
        "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports:\n  - port: 80\n    8080: http\n"
    )
    (tmp_path / "svc.yaml").write_text(port)
    code, data = check_json("svc.yaml", cwd=tmp_path)
    found = [(f["rule"], f["line"], f["message"]) for f in data["findings"]]
    assert code == 1
    assert found == [("schema/violation", 7, "spec.ports[0].8080: unknown field")]
