"""What the local stack reads from template.yaml: the API's routes, their functions and gateway responses."""

from __future__ import annotations

import re
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
    """One of API Gateway's own responses: status, JSON body template and headers (template values,
    resolved with `resolve` for the local stack)."""

    status: int
    body: str
    headers: dict[str, Any] = field(default_factory=dict)


# Gateway response types the stand-in can produce, with API Gateway's status for each when the
# template does not set one.
DEFAULT_STATUS = {
    "DEFAULT_4XX": 400,
    "DEFAULT_5XX": 500,
    "MISSING_AUTHENTICATION_TOKEN": 403,
    "THROTTLED": 429,
    "REQUEST_TOO_LARGE": 413,
    "INTEGRATION_TIMEOUT": 504,
    "BAD_REQUEST_BODY": 400,
}


@dataclass
class Api:
    """Routes (METHOD, path) -> function, and the gateway's own responses by type."""

    routes: dict[tuple[str, str], FunctionSpec] = field(default_factory=dict)
    gateway_responses: dict[str, GatewayResponse] = field(default_factory=dict)
    website_headers: dict[str, str] = field(default_factory=dict)  # CloudFront's response headers policy

    def gateway_response(self, kind: str) -> GatewayResponse:
        """What API Gateway answers for a response type: the template's own entry for it, else (and only
        then) DEFAULT_4XX or DEFAULT_5XX with the type's status. A type the template defines does not
        inherit the defaults' headers, exactly as on AWS."""
        status = DEFAULT_STATUS.get(kind, 500)
        if kind in self.gateway_responses:
            return self.gateway_responses[kind]
        default = self.gateway_responses.get("DEFAULT_4XX" if status < 500 else "DEFAULT_5XX")
        return GatewayResponse(status, default.body if default else "", default.headers if default else {})

    def paths(self) -> set[str]:
        return {path for _, path in self.routes}

    def functions(self) -> dict[str, FunctionSpec]:
        """Each function once, by logical id (a function may serve several routes)."""
        return {spec.name: spec for spec in self.routes.values()}


def security_headers(policy: dict[str, Any]) -> dict[str, str]:
    """The HTTP headers a CloudFront response headers policy's SecurityHeadersConfig adds."""
    config = policy.get("SecurityHeadersConfig", {})
    headers: dict[str, str] = {}
    if "StrictTransportSecurity" in config:
        hsts = config["StrictTransportSecurity"]
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        headers["Strict-Transport-Security"] = value + ("; preload" if hsts.get("Preload") else "")
    if "ContentTypeOptions" in config:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in config:
        headers["X-Frame-Options"] = config["FrameOptions"]["FrameOption"]
    if "ReferrerPolicy" in config:
        headers["Referrer-Policy"] = config["ReferrerPolicy"]["ReferrerPolicy"]
    if "ContentSecurityPolicy" in config:
        headers["Content-Security-Policy"] = config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    return headers


def resolve(value: Any, parameters: dict[str, str], conditions: dict[str, bool]) -> str:
    """A template value (Ref, Fn::Sub, Fn::If over strings) with the local stack's parameters; a quoted
    static value ('...', as gateway response headers are written) loses its quotes."""
    if isinstance(value, str):
        return value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref" and argument in parameters:
            return parameters[argument]
        if name == "Fn::Sub" and isinstance(argument, str):
            missing = [n for n in re.findall(r"\$\{([^}]+)\}", argument) if n not in parameters]
            if not missing:
                return resolve(
                    re.sub(r"\$\{([^}]+)\}", lambda m: parameters[m.group(1)], argument), parameters, conditions
                )
        if name == "Fn::If" and isinstance(argument, list) and len(argument) == 3 and argument[0] in conditions:
            return resolve(argument[1] if conditions[argument[0]] else argument[2], parameters, conditions)
    raise ConfigError(f"the local stack cannot resolve {value!r} from template.yaml")


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
                status = int(response.get("StatusCode", DEFAULT_STATUS.get(kind, 400 if "4XX" in kind else 500)))
                headers = (response.get("ResponseParameters") or {}).get("Headers") or {}
                api.gateway_responses[kind] = GatewayResponse(status, templates.get("application/json", ""), headers)
        if resource.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy":
            api.website_headers = security_headers(properties["ResponseHeadersPolicyConfig"])
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
