"""GitHub integration: the REST client, the pull-request event, and the sticky PR comment.

Imported only by ``gitops-guard comment``: nothing here loads on a ``check`` run.
"""
