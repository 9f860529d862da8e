"""Kubernetes ValidatingAdmissionPolicies evaluated offline against the manifests.

``model`` reads policy and binding objects, ``kinds`` maps kinds to the resource
names policies match on, ``match`` decides which objects a policy applies to,
``celenv`` runs CEL with the Kubernetes libraries, ``evaluate`` puts them together
and ``shipped`` loads the policies that come with the tool.
"""
