"""Sources: which files to read, what they are, and their YAML documents."""
