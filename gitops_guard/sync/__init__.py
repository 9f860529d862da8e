"""The sync engine's parts: object health, Git sources, the in-cluster history store and the plan.

Only commands that talk to a cluster or fetch sources import this package; ``check`` never does.
It sits beside ``diff``: its foundations may use ``cluster``, ``resources``, ``ownership``, the pure
``gitops`` semantics and ``diff.objects``, never ``checks``, ``render``, ``pipeline`` or the command
line; ``engine.py``, the orchestrator, is the one module that renders and runs ``check``.
"""
