"""gitops-guard: guard GitOps repositories before and after merge."""

__version__ = "0.1.0"
