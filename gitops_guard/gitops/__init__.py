"""GitOps semantics: what Argo CD and Flux would do with the objects in a repository."""
