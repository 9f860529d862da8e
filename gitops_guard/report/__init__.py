"""Report model and the registry of output formats."""
