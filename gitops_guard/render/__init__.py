"""Rendering engines: kustomize roots and local Helm charts built with the real binaries
(``kustomize.py``, ``helm.py``, ``helm_sdk.py``, ``tools.py``), kustomization trees, the
mapping of rendered objects back to their sources, and Flux's transforms.  The callers are
in :mod:`gitops_guard.desired` (``builds.py`` runs the binaries); see DESIGN.md.

Nothing here is imported at start-up but ``rules.py`` (the render rules, for the registry).
"""
