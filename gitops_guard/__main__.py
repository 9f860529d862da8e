from __future__ import annotations

from gitops_guard.cli import main

raise SystemExit(main())
