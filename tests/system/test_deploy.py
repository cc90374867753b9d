"""deploy/: the compose file, the Kubernetes manifests and the Ray job example hold together."""

from __future__ import annotations

import shlex
from pathlib import Path

import yaml

from mmreward.cli import build_parser
from mmreward.settings import Settings

DEPLOY = Path(__file__).parents[2] / "deploy"
SETTING_NAMES = {f"MMREWARD_{name.upper()}" for name in Settings.model_fields}


def _k8s(name: str) -> dict[tuple[str, str], dict]:
    documents = yaml.safe_load_all((DEPLOY / "k8s" / name).read_text())
    return {(d["kind"], d["metadata"]["name"]): d for d in documents}


def _serve_parses(argv: list[str]) -> None:
    assert argv[0] == "mmreward"
    args = build_parser().parse_args(argv[1:])
    assert args.command == "serve"
    assert (args.host, args.port) == ("0.0.0.0", 8000)


def test_compose_runs_the_api_against_its_redis():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    api, redis = compose["services"]["api"], compose["services"]["redis"]
    _serve_parses(api["command"])
    assert set(api["environment"]) <= SETTING_NAMES
    assert api["environment"]["MMREWARD_REDIS_URL"].startswith("redis://redis:6379/")
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "redis-cli" in redis["healthcheck"]["test"]
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["ports"] == ["8000:8000"]
    assert (DEPLOY.parent / api["build"]["context"].removeprefix("../")).is_dir()
    assert (DEPLOY / Path(api["build"]["dockerfile"]).name).is_file()


def test_kubernetes_api_probes_ports_and_selectors():
    docs = _k8s("api.yaml")
    deployment = docs[("Deployment", "mmreward-api")]
    service = docs[("Service", "mmreward-api")]
    config = docs[("ConfigMap", "mmreward-config")]
    template = deployment["spec"]["template"]
    assert deployment["spec"]["selector"]["matchLabels"] == template["metadata"]["labels"]
    assert service["spec"]["selector"] == template["metadata"]["labels"]
    (container,) = template["spec"]["containers"]
    _serve_parses(container["args"])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8000}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    assert container["envFrom"] == [{"configMapRef": {"name": "mmreward-config"}}]
    assert set(config["data"]) <= SETTING_NAMES
    assert all(isinstance(v, str) for v in config["data"].values())
    assert Settings(**{k.removeprefix("MMREWARD_").lower(): v for k, v in config["data"].items()})


def test_kubernetes_redis_is_the_service_the_api_points_at():
    redis = _k8s("redis.yaml")
    deployment = redis[("Deployment", "mmreward-redis")]
    service = redis[("Service", "mmreward-redis")]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"] == labels == service["spec"]["selector"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["ports"] == [{"name": "redis", "containerPort": 6379}]
    assert service["spec"]["ports"][0] == {"name": "redis", "port": 6379, "targetPort": "redis"}
    url = _k8s("api.yaml")[("ConfigMap", "mmreward-config")]["data"]["MMREWARD_REDIS_URL"]
    assert url.startswith(f"redis://{service['metadata']['name']}:6379/")


def test_the_image_can_carry_the_ray_extra_the_job_example_needs():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "ARG EXTRAS=" in dockerfile
    assert 'pip install --no-cache-dir ".${EXTRAS}"' in dockerfile
    assert "EXTRAS=[ray]" in (DEPLOY / "ray" / "relabel-job.sh").read_text()


def test_the_ray_job_example_submits_a_relabel_command_the_cli_accepts():
    script = (DEPLOY / "ray" / "relabel-job.sh").read_text()
    command = script[script.index("ray job submit") :].replace("\\\n", " ")
    words = shlex.split(command.splitlines()[0])
    assert words[:3] == ["ray", "job", "submit"]
    relabel = words[words.index("--") + 1 :]
    assert relabel[:2] == ["mmreward", "relabel"]
    values = {"$INPUT": "in.parquet", "$OUTPUT": "out.parquet"}
    argv = [values.get(w, w.replace("$OUTPUT", "out.parquet")) for w in relabel[1:]]
    args = build_parser().parse_args(argv)
    assert args.ray_address == "auto"
    assert args.recipe == "r1v"
    assert args.ray_cpus < 1
