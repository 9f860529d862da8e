"""The sync engine's parts: object health, Git sources, and the in-cluster history store.

Only commands that talk to a cluster or fetch sources import this package; ``check`` never does.
It sits beside ``diff``: it may use ``cluster``, ``resources`` and ``ownership``, never ``checks``,
``render``, ``pipeline`` or the command line.
"""
