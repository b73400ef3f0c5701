"""template.yaml: cfn-lint clean, least privilege, a private website bucket, CORS never `*`,
and the functions' pinned dependencies agree with pyproject.toml."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from sentiment.core.config import PROJECT_ROOT
from sentiment.local.template import load_template, read_api

TEMPLATE = PROJECT_ROOT / "template.yaml"


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return load_template(TEMPLATE)["Resources"]  # type: ignore[no-any-return]


def test_cfn_lint_is_clean() -> None:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    done = subprocess.run([str(cfn_lint), str(TEMPLATE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_function_may_only_invoke_the_one_endpoint_and_write_its_logs(resources: dict[str, Any]) -> None:
    function = resources["PredictFunction"]["Properties"]
    assert function["Role"] == {"Fn::GetAtt": "PredictRole.Arn"}
    assert "Policies" not in function  # SAM would add a role of its own
    role = resources["PredictRole"]["Properties"]
    assert "ManagedPolicyArns" not in role
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    assert all(s["Effect"] == "Allow" for s in statements)
    by_action = {s["Action"] if isinstance(s["Action"], str) else tuple(s["Action"]): s["Resource"] for s in statements}
    assert by_action == {
        "sagemaker:InvokeEndpoint": {
            "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:endpoint/${EndpointName}"
        },
        ("logs:CreateLogStream", "logs:PutLogEvents"): {"Fn::Sub": "${PredictLogGroup.Arn}:*"},
    }


def test_endpoint_names_are_lower_case_like_their_arns() -> None:
    pattern = load_template(TEMPLATE)["Parameters"]["EndpointName"]["AllowedPattern"]
    assert re.fullmatch(pattern, "sentiment-endpoint")
    assert not re.fullmatch(pattern, "Sentiment-Endpoint")
    assert not re.fullmatch(pattern, "*")


def test_the_website_bucket_is_private_behind_cloudfront(resources: dict[str, Any]) -> None:
    bucket = resources["WebsiteBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert "WebsiteConfiguration" not in bucket  # no public S3 website endpoint
    statements = resources["WebsiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1
    assert allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    assert "AWS:SourceArn" in allows[0]["Condition"]["StringEquals"]
    distribution = resources["WebsiteDistribution"]["Properties"]["DistributionConfig"]
    assert distribution["Origins"][0]["OriginAccessControlId"] == {"Fn::GetAtt": "WebsiteOriginAccessControl.Id"}
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"


def test_cors_origin_is_a_parameter_and_never_a_wildcard(resources: dict[str, Any]) -> None:
    template = load_template(TEMPLATE)
    parameter = template["Parameters"]["AllowedOrigin"]
    assert not re.fullmatch(parameter["AllowedPattern"], "*")
    assert re.fullmatch(parameter["AllowedPattern"], "https://reviews.example.com")
    origin = resources["PredictFunction"]["Properties"]["Environment"]["Variables"]["ALLOWED_ORIGIN"]
    assert origin == {
        "Fn::If": ["OriginGiven", {"Ref": "AllowedOrigin"}, {"Fn::Sub": "https://${WebsiteDistribution.DomainName}"}]
    }
    assert "'*'" not in TEMPLATE.read_text()


def test_stage_throttling_comes_from_parameters(resources: dict[str, Any]) -> None:
    settings = resources["Api"]["Properties"]["MethodSettings"][0]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ThrottleRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ThrottleBurstLimit"}


def test_routes_are_post_predict_and_get_health() -> None:
    routes = read_api(TEMPLATE).routes
    assert set(routes) == {("POST", "/predict"), ("OPTIONS", "/predict"), ("GET", "/health"), ("OPTIONS", "/health")}
    spec = routes[("POST", "/predict")]
    assert (spec.code_dir / f"{spec.module}.py").is_file()


def _pins(lines: list[str]) -> dict[str, str]:
    pins = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[re.sub(r"\[.*\]", "", name).lower()] = version
    return pins


@pytest.mark.parametrize("requirements", ["functions/layer/requirements.txt", "functions/predict/requirements.txt"])
def test_function_pins_match_pyproject(requirements: str) -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for group in project["optional-dependencies"].values() for d in group)]
    wanted = _pins(Path(PROJECT_ROOT / requirements).read_text().splitlines())
    assert wanted and wanted.items() <= _pins(declared).items()
