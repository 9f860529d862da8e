"""jsonschema-rs imported without email.utils and decimal: the same module, and the real ones after."""

from __future__ import annotations

import email.utils
import subprocess
import sys

import pytest

from gitops_guard.schema.jsonschema_import import _EmailUtils


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_the_extension_loads_without_the_email_package_and_dates_its_build_the_same() -> None:
    ours = _python(
        "import sys\n"
        "from gitops_guard.schema import jsonschema_import\n"
        "m = jsonschema_import.load()\n"
        "v = m.validator_for({'type': 'object', 'properties': {'n': {'maximum': 2}}})\n"
        "print(v.is_valid({'n': 2}), v.is_valid({'n': 2.5}), v.is_valid({'n': 10**40}))\n"
        "heavy = ('email.utils', 'socket', 'calendar', 'locale', 'decimal', 'numbers')\n"
        "print(sorted(n for n in heavy if n in sys.modules))\n"
        "print(repr(m.jsonschema_rs.__build__))\n"
        "import email.utils, decimal\n"  # the real modules, for whoever needs them afterwards
        "print(email.utils.formataddr(('A', 'a@example.com')), decimal.Decimal('0.1') * 3)\n"
    ).splitlines()
    plain = _python("import jsonschema_rs; print(repr(jsonschema_rs.jsonschema_rs.__build__))").strip()
    assert ours == ["True False False", "[]", plain, "A <a@example.com> 0.3"]


@pytest.mark.parametrize(
    "text",
    [
        "Thu, 12 Nov 2026 07:50:16 +0000",
        "Mon, 01 Jan 2024 23:59:59 +0530",
        "Tue, 29 Feb 2028 00:00:00 -0800",
        "Thu, 12 Nov 2026 07:50:16 -0000",  # zone unknown: a naive time
        "Thu, 12 Nov 2026 07:50:16 GMT",
        "12 Nov 2026 07:50:16 +0000",
        "Thu, 12 Nov 2026 07:50 +0000",
    ],
)
def test_the_stand_in_dates_as_the_real_function(text: str) -> None:
    assert _EmailUtils.parsedate_to_datetime(text) == email.utils.parsedate_to_datetime(text)
    assert repr(_EmailUtils.parsedate_to_datetime(text)) == repr(email.utils.parsedate_to_datetime(text))
