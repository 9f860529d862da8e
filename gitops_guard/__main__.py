from __future__ import annotations

from gitops_guard.entry import main

raise SystemExit(main())
