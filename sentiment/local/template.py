"""What the local stack reads from template.yaml: the API's routes, their functions and gateway responses."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sentiment.core.errors import ConfigError


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) kept as {"Fn::...": value}."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if tag_suffix == "Ref" else f"Fn::{tag_suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: str | Path) -> dict[str, Any]:
    try:
        with Path(path).open(encoding="utf-8") as handle:
            document = yaml.load(handle, Loader=_CloudFormationLoader)  # a SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read the SAM template {path}: {exc}") from exc
    if not isinstance(document, dict) or "Resources" not in document:
        raise ConfigError(f"{path} is not a SAM template (no Resources)")
    return document


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function as the template declares it."""

    name: str
    code_dir: Path
    module: str
    handler: str
    environment: dict[str, Any]
    timeout: float
    memory_mb: int


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    body: str


@dataclass
class Api:
    """Routes (METHOD, path) -> function, and the gateway's own responses by type."""

    routes: dict[tuple[str, str], FunctionSpec] = field(default_factory=dict)
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)

    def paths(self) -> set[str]:
        return {path for _, path in self.routes}

    def functions(self) -> dict[str, FunctionSpec]:
        """Each function once, by logical id (a function may serve several routes)."""
        return {spec.name: spec for spec in self.routes.values()}


def read_api(template_path: str | Path) -> Api:
    """The REST API of template.yaml: every Api event of every function, and the GatewayResponses."""
    template_path = Path(template_path)
    document = load_template(template_path)
    globals_ = document.get("Globals", {}).get("Function", {})
    api = Api()
    for name, resource in document["Resources"].items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Api":
            for kind, response in (properties.get("GatewayResponses") or {}).items():
                templates = response.get("ResponseTemplates", {})
                status = int(response.get("StatusCode", 400 if "4XX" in kind else 500))
                api.gateway_responses[kind] = GatewayResponse(status, templates.get("application/json", ""))
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        module, _, handler = properties["Handler"].rpartition(".")
        spec = FunctionSpec(
            name=name,
            code_dir=(template_path.parent / properties["CodeUri"]).resolve(),
            module=module,
            handler=handler,
            environment=properties.get("Environment", {}).get("Variables", {}),
            timeout=float(properties.get("Timeout", globals_.get("Timeout", 3))),
            memory_mb=int(properties.get("MemorySize", globals_.get("MemorySize", 128))),
        )
        for event in (properties.get("Events") or {}).values():
            if event.get("Type") == "Api":
                method = event["Properties"]["Method"].upper()
                api.routes[(method, event["Properties"]["Path"])] = spec
    if not api.routes:
        raise ConfigError(f"{template_path} declares no API routes")
    return api
