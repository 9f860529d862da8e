"""jsonschema-rs, imported without the e-mail package it loads only to date its own build.

The extension's initialisation turns the time it was built (``Thu, 12 Nov 2026 07:50:16
+0000``) into ``jsonschema_rs.__build__["info-time"]`` with
``email.utils.parsedate_to_datetime``. Importing ``email.utils`` loads the e-mail package,
``socket``, ``calendar``, ``locale`` and ``random``: about a tenth of a one-file ``check``
(``bench/run_onefile.py``), for a date this project never reads.

While the extension is imported, a stand-in for ``email.utils`` answers that one call for
a date written exactly so, and hands any other date, and any other name, to the real
module, imported then. It is removed as soon as the import returns, so everything else
that imports ``email.utils`` gets the real one.
"""

from __future__ import annotations

import sys
import types
from functools import cache
from typing import Any

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_NAME = "email.utils"


@cache
def load() -> Any:
    """The ``jsonschema_rs`` module (ImportError when it is not installed)."""
    if "jsonschema_rs" in sys.modules or _NAME in sys.modules:
        import jsonschema_rs

        return jsonschema_rs
    stand_in = _EmailUtils(_NAME, "stands in for email.utils while jsonschema_rs is imported")
    sys.modules[_NAME] = stand_in
    try:
        import jsonschema_rs
    finally:
        if sys.modules.get(_NAME) is stand_in:
            del sys.modules[_NAME]
    return jsonschema_rs


def _real() -> Any:
    if isinstance(sys.modules.get(_NAME), _EmailUtils):
        del sys.modules[_NAME]
    import importlib

    return importlib.import_module(_NAME)


class _EmailUtils(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        return getattr(_real(), name)

    @staticmethod
    def parsedate_to_datetime(text: str) -> Any:
        """An RFC 2822 date with a numeric zone (``Thu, 12 Nov 2026 07:50:16 +0000``); the
        real function for any other form, or for ``-0000`` (no zone known: a naive time)."""
        import datetime as dt

        parts = text.split()
        if len(parts) == 6 and parts[0].endswith(",") and parts[2] in _MONTHS:
            zone = parts[5]
            clock = parts[4].split(":")
            if len(zone) == 5 and zone[0] in "+-" and zone != "-0000" and len(clock) == 3:
                try:
                    minutes = int(zone[1:3]) * 60 + int(zone[3:5])
                    offset = dt.timedelta(minutes=minutes if zone[0] == "+" else -minutes)
                    hour, minute, second = (int(part) for part in clock)
                    return dt.datetime(
                        int(parts[3]),
                        _MONTHS[parts[2]],
                        int(parts[1]),
                        hour,
                        minute,
                        second,
                        tzinfo=dt.timezone(offset),
                    )
                except ValueError:
                    pass
        return _real().parsedate_to_datetime(text)
