"""jsonschema-rs, imported without the modules it loads only for values this project never has.

The extension's initialisation

* turns the time it was built (``Thu, 12 Nov 2026 07:50:16 +0000``) into
  ``jsonschema_rs.__build__["info-time"]`` with ``email.utils.parsedate_to_datetime``.
  Importing ``email.utils`` loads the e-mail package, ``socket``, ``calendar``, ``locale``
  and ``random``: about a tenth of a one-file ``check`` (``bench/run_onefile.py``), for a
  date this project never reads;
* keeps ``decimal.Decimal``, from its first validation on, to recognise Decimal instances
  in what it validates. Documents
  here come from YAML or JSON, which give ``int`` and ``float``, never a Decimal;
  ``decimal`` (with ``numbers``) is another ~1.5 ms.

While the extension is imported and first used (``deferred_imports.import_with``), a stand-in for
``email.utils`` answers that one call for a date written exactly so, and a stand-in for
``decimal`` offers a ``Decimal`` type no value is an instance of; every other name, and
any other date, comes from the real module, imported then. Everything else that imports
either module gets the real one.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from gitops_guard.deferred_imports import Deferred, import_with, real_module

_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}


@cache
def load() -> Any:
    """The ``jsonschema_rs`` module (ImportError when it is not installed)."""
    return import_with(
        "jsonschema_rs",
        {"email.utils": _EmailUtils, "decimal": _Decimal},
        # decimal is imported by the first validation, not by the import.
        first_use=lambda module: module.validator_for({}).is_valid(0),
    )


class _EmailUtils(Deferred):
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
        return real_module("email.utils").parsedate_to_datetime(text)


class _Decimal(Deferred):
    class Decimal:
        """What jsonschema-rs keeps as ``decimal.Decimal``: a type no value is an instance of
        (so a real Decimal would be refused as unsupported; YAML and JSON never give one)."""
