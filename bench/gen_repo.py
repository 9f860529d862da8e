#!/usr/bin/env python3
"""Generate a synthetic GitOps repository for the benchmarks.

Usage: bench/gen_repo.py N DEST [--seed S]

Writes N files under DEST/apps/<namespace>/, each holding three documents: a Deployment, a
Service and a ConfigMap (with --custom-resources, also a cert-manager Certificate, a
ServiceMonitor and an HTTPRoute). The objects use the fields real application manifests carry (probes,
resources, security contexts, env from ConfigMaps, volumes, rolling-update strategy) and are
valid against the Kubernetes 1.37 strict schemas, so a schema check has real work to do and
nothing to report. Output depends only on N and the seed: the same arguments give byte-identical
files, which keeps timings comparable across runs and machines.

The repository holds no credentials or high-entropy strings (no image digests), so secret
detectors have nothing to report either.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path
from typing import Any

import yaml

DEFAULT_SEED = 20240101

NAMESPACES = (
    "payments", "checkout", "catalog", "search", "identity", "billing",
    "notifications", "analytics", "shipping", "inventory", "reviews", "gateway",
)  # fmt: skip
APP_WORDS = (
    "api", "worker", "frontend", "backend", "scheduler", "indexer", "exporter",
    "ingester", "router", "cache", "renderer", "sync", "auth", "ledger", "mailer",
)  # fmt: skip
IMAGES = (
    ("registry.example.com/platform/go-service", ("1.8.2", "1.9.0", "2.0.1")),
    ("registry.example.com/platform/python-service", ("3.4.0", "3.5.1")),
    ("registry.example.com/platform/node-service", ("18.3.2", "20.1.0")),
    ("registry.example.com/platform/jvm-service", ("11.0.4", "17.2.0", "21.0.1")),
)
TEAMS = ("core", "growth", "platform", "data", "edge")
LOG_LEVELS = ("debug", "info", "warn")

Document = dict[str, Any]


def _labels(name: str, namespace: str, version: str, team: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": f"{name}-{namespace}",
        "app.kubernetes.io/version": version,
        "app.kubernetes.io/part-of": namespace,
        "app.kubernetes.io/managed-by": "argocd",
        "team": team,
    }


def _configmap(name: str, namespace: str, labels: dict[str, str], rng: random.Random) -> Document:
    port = 8080
    settings = "\n".join(
        [
            "server:",
            f"  port: {port}",
            f"  readTimeoutSeconds: {rng.choice((5, 10, 30))}",
            "cache:",
            f"  ttlSeconds: {rng.choice((60, 300, 900))}",
            f"  maxEntries: {rng.choice((1000, 5000, 20000))}",
            "features:",
            f"  newCheckoutFlow: {rng.choice(('true', 'false'))}",
            "",
        ]
    )
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": f"{name}-config", "namespace": namespace, "labels": dict(labels)},
        "data": {
            "LOG_LEVEL": rng.choice(LOG_LEVELS),
            "WORKER_THREADS": str(rng.choice((2, 4, 8))),
            "UPSTREAM_URL": f"http://{rng.choice(APP_WORDS)}.{rng.choice(NAMESPACES)}.svc.cluster.local:8080",
            "settings.yaml": settings,
        },
    }


def _container(name: str, image: str, rng: random.Random) -> Document:
    cpu = rng.choice((50, 100, 250, 500))
    memory = rng.choice((64, 128, 256, 512))
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--config=/etc/app/settings.yaml", f"--metrics-port={9090}"],
        "ports": [
            {"name": "http", "containerPort": 8080, "protocol": "TCP"},
            {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
        ],
        "env": [
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {
                "name": "LOG_LEVEL",
                "valueFrom": {"configMapKeyRef": {"name": f"{name}-config", "key": "LOG_LEVEL"}},
            },
            {"name": "GOMAXPROCS", "valueFrom": {"resourceFieldRef": {"resource": "limits.cpu"}}},
        ],
        "envFrom": [{"configMapRef": {"name": f"{name}-config", "optional": False}}],
        "resources": {
            "requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi"},
            "limits": {"cpu": f"{cpu * 2}m", "memory": f"{memory * 2}Mi"},
        },
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": "http"},
            "initialDelaySeconds": rng.choice((2, 5, 10)),
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": "http"},
            "initialDelaySeconds": 15,
            "periodSeconds": 20,
            "timeoutSeconds": 2,
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "config", "mountPath": "/etc/app", "readOnly": True},
            {"name": "tmp", "mountPath": "/tmp"},
        ],
    }


def _selector(labels: dict[str, str]) -> dict[str, str]:
    # Only the labels that never change over the app's life: a Deployment's selector is immutable.
    return {key: labels[key] for key in ("app.kubernetes.io/name", "app.kubernetes.io/instance")}


def _deployment(
    name: str, namespace: str, labels: dict[str, str], image: str, rng: random.Random
) -> Document:
    selector = _selector(labels)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": {"argocd.argoproj.io/sync-wave": str(rng.choice((0, 1, 2)))},
        },
        "spec": {
            "replicas": rng.choice((1, 2, 3, 5)),
            "revisionHistoryLimit": 5,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
            "selector": {"matchLabels": dict(selector)},
            "template": {
                "metadata": {
                    "labels": dict(labels),
                    "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                },
                "spec": {
                    "serviceAccountName": name,
                    "terminationGracePeriodSeconds": rng.choice((30, 60)),
                    "securityContext": {
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10001,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [_container(name, image, rng)],
                    "volumes": [
                        {"name": "config", "configMap": {"name": f"{name}-config"}},
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": "topology.kubernetes.io/zone",
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": {"matchLabels": dict(selector)},
                        }
                    ],
                },
            },
        },
    }


def _service(name: str, namespace: str, labels: dict[str, str]) -> Document:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "type": "ClusterIP",
            "selector": _selector(labels),
            "ports": [
                {"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"},
                {"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"},
            ],
        },
    }


def _custom_resources(name: str, namespace: str, labels: dict[str, str]) -> list[Document]:
    """What a platform repository adds to an application: its certificate, its scrape config
    and its route (cert-manager, prometheus-operator and Gateway API, the most used CRDs)."""
    host = f"{name}.{namespace}.example.com"
    return [
        {
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {
                "secretName": f"{name}-tls",
                "dnsNames": [host],
                "duration": "2160h",
                "renewBefore": "360h",
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
                "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"},
            },
        },
        {
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {
                "selector": {"matchLabels": _selector(labels)},
                "endpoints": [{"port": "metrics", "interval": "30s", "path": "/metrics", "scheme": "http"}],
            },
        },
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "HTTPRoute",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
            "spec": {
                "parentRefs": [{"name": "public", "namespace": "gateway", "sectionName": "https"}],
                "hostnames": [host],
                "rules": [
                    {
                        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                        "backendRefs": [{"name": name, "port": 80}],
                    }
                ],
            },
        },
    ]


def application(index: int, rng: random.Random, *, custom: bool = False) -> tuple[str, list[Document]]:
    """The relative path and documents of the index-th application file (with ``custom``, its
    custom resources too)."""
    namespace = NAMESPACES[index % len(NAMESPACES)]
    # The index suffix keeps names unique however many files are asked for.
    name = f"{rng.choice(APP_WORDS)}-{rng.choice(APP_WORDS)}-{index:04d}"
    repository, tags = rng.choice(IMAGES)
    version = rng.choice(tags)
    labels = _labels(name, namespace, version, rng.choice(TEAMS))
    documents = [
        _deployment(name, namespace, labels, f"{repository}:{version}", rng),
        _service(name, namespace, labels),
        _configmap(name, namespace, labels, rng),
    ]
    if custom:
        documents += _custom_resources(name, namespace, labels)
    return f"apps/{namespace}/{name}.yaml", documents


def objects_per_file(*, custom: bool = False) -> int:
    return 6 if custom else 3


def generate(count: int, dest: Path, *, seed: int = DEFAULT_SEED, custom: bool = False) -> list[Path]:
    """Write `count` application files under `dest`; returns their paths in generation order."""
    rng = random.Random(seed)
    written: list[Path] = []
    for index in range(count):
        relative, documents = application(index, rng, custom=custom)
        path = dest / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Every mapping is a distinct object (see the dict() copies above), so no YAML anchors or
        # aliases appear: real manifests are written out in full.
        text = yaml.safe_dump_all(documents, sort_keys=False, explicit_start=True, width=1000)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1] if __doc__ else None)
    parser.add_argument("count", type=int, metavar="N", help="number of files (3 objects each)")
    parser.add_argument("dest", type=Path, metavar="DEST", help="directory to write into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--custom-resources",
        action="store_true",
        help="also a Certificate, ServiceMonitor and HTTPRoute per file",
    )
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("N must be at least 1")
    written = generate(args.count, args.dest, seed=args.seed, custom=args.custom_resources)
    objects = objects_per_file(custom=args.custom_resources) * len(written)
    print(f"wrote {len(written)} files ({objects} objects) under {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
