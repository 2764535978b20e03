"""What each target is like for the team that runs it: operations, scale, bursts, availability.

The advisor's view of a target (it cannot import `targets/`): how much operations work it asks of
a team at each skill level, how it scales with load, whether bursts suit it, and how it keeps
a service up. Scores are 0 to 1; each comes with the reason shown to the user.
"""

from __future__ import annotations

__all__ = ["AVAILABILITY", "BURST", "OPS", "SCALE", "SCALE_REASON"]

OPS: dict[str, dict[str, tuple[float, str]]] = {
    "heroku": {
        "beginner": (1.0, "git push deploys, no servers to run"),
        "intermediate": (0.7, "easy, but little control over the machine"),
        "expert": (0.5, "easy, but limited flexibility and scale for an expert team"),
    },
    "vps": {
        "beginner": (0.1, "a VPS needs Linux administration: nginx, systemd, updates"),
        "intermediate": (0.6, "a VPS needs some Linux administration (nginx, systemd)"),
        "expert": (1.0, "a Linux-savvy team runs nginx + systemd on a cheap VPS"),
    },
    "docker": {
        "beginner": (
            0.3,
            "a Docker host is a server to run, and containers one more thing to learn",
        ),
        "intermediate": (0.8, "a portable image, on a Docker host the team keeps up and patched"),
        "expert": (0.9, "a portable image; simple to run"),
    },
    "kubernetes": {
        "beginner": (0.0, "Kubernetes is far beyond a beginner team"),
        "intermediate": (0.3, "Kubernetes needs an expert team"),
        "expert": (1.0, "the team can run Kubernetes"),
    },
    "sagemaker": {
        "beginner": (
            0.6,
            "a managed endpoint: no servers, but AWS IAM, ECR and CloudFormation to learn",
        ),
        "intermediate": (
            0.8,
            "a managed endpoint: AWS runs the instances, scaling and health checks",
        ),
        "expert": (0.8, "a managed endpoint: less to run, less control than your own servers"),
    },
    "cloud-run": {
        "beginner": (0.9, "push an image and Google runs and scales it: no servers to run"),
        "intermediate": (1.0, "a container Google runs and scales: no servers to run"),
        "expert": (0.9, "a container Google runs and scales; less control than your own servers"),
    },
    "azure-ml": {
        "beginner": (
            0.6,
            "a managed endpoint: no servers, but an Azure ML workspace, ACR and YAML to learn",
        ),
        "intermediate": (0.8, "a managed endpoint: Azure runs the VMs, probes and rollouts"),
        "expert": (0.8, "a managed endpoint: less to run, less control than your own servers"),
    },
    "edge": {
        "beginner": (0.3, "updating a fleet of devices is hard"),
        "intermediate": (0.6, "devices need an update process"),
        "expert": (0.9, "the team can manage a device fleet"),
    },
}

SCALE: dict[str, dict[str, float]] = {
    "heroku": {"tiny": 1.0, "small": 0.8, "medium": 0.5, "large": 0.3},
    "vps": {"tiny": 1.0, "small": 1.0, "medium": 0.7, "large": 0.4},
    "docker": {"tiny": 0.8, "small": 0.9, "medium": 0.9, "large": 0.7},
    "kubernetes": {"tiny": 0.2, "small": 0.4, "medium": 0.8, "large": 1.0},
    "sagemaker": {"tiny": 0.9, "small": 1.0, "medium": 1.0, "large": 0.9},
    "cloud-run": {"tiny": 1.0, "small": 1.0, "medium": 0.9, "large": 0.8},
    "azure-ml": {"tiny": 0.8, "small": 1.0, "medium": 1.0, "large": 0.9},
    "edge": {"tiny": 0.7, "small": 0.7, "medium": 0.7, "large": 0.7},
}
SCALE_REASON = {
    "heroku": "dynos scale by hand, to a limit",
    "vps": "one box scales up, not out",
    "docker": "containers scale out behind a load balancer",
    "kubernetes": "built for large, bursty load",
    "sagemaker": "endpoint instances autoscale on invocations",
    "cloud-run": "instances scale with requests",
    "azure-ml": "a managed deployment scales its instances by rules",
    "edge": "each device serves its own traffic",
}
BURST = {
    "heroku": -0.1, "vps": -0.3, "docker": -0.1, "kubernetes": 0.2, "sagemaker": 0.1,
    "cloud-run": 0.1, "azure-ml": 0.0, "edge": 0.0,
}  # fmt: skip

AVAILABILITY: dict[str, tuple[float, float, str, str]] = {
    # (score at 99.9, score above 99.9, reason at 99.9, reason above); {n}: instances priced
    "heroku": (0.8, 0.5, "{n} dynos", "no SLA on the Common Runtime's standard dynos"),
    "vps": (0.6, 0.3, "{n} VPSes behind {balancer}", "failover is on you"),
    "docker": (0.7, 0.5, "{n} hosts and a load balancer", "failover is on you"),
    "kubernetes": (1.0, 1.0, "replicas, probes and rescheduling built in", "self-healing"),
    "sagemaker": (0.9, 0.8, "{n} instances spread over availability zones", "one region"),
    "cloud-run": (0.9, 0.8, "the platform replaces failed instances", "one region"),
    "azure-ml": (0.9, 0.7, "{n} instances of a managed deployment", "one region"),
    "edge": (0.5, 0.3, "devices fail one by one", "devices fail one by one"),
}
