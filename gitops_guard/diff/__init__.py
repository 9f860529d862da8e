"""What a change would do: desired state compared with a Git revision or a live cluster."""
