"""Secret detection: what a repository commits that it should not.

``candidates`` walks parsed files (and the text of files that are not YAML) into
the strings worth a look, with the Kubernetes knowledge of where secrets live
and where only references or ciphertext do; ``prefilter`` is the cheap test run
on every string; ``detectors`` confirms the few that pass it; ``mask`` is how a
secret is identified without being shown.
"""
