"""Rendering: kustomize roots and local Helm charts built with the real binaries, so that
every check validates the objects that would be applied (see stage.py and DESIGN.md).

Nothing here is imported at start-up: the pipeline imports ``render.stage`` only when a run
renders, and the registry imports only ``render.check`` (the rule).
"""
