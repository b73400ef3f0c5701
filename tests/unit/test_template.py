"""template.yaml: cfn-lint clean, least privilege, a private website bucket, CORS never `*`,
and the functions' pinned dependencies agree with pyproject.toml."""

from __future__ import annotations

import json
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


def test_the_function_may_only_invoke_the_one_endpoint_and_write_its_logs_and_traces(resources: dict[str, Any]) -> None:
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
        ("xray:PutTraceSegments", "xray:PutTelemetryRecords"): "*",  # X-Ray's actions take no resource
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


@pytest.mark.parametrize("requirements", ["functions/predict/requirements.txt", "functions/reaper/requirements.txt"])
def test_function_pins_match_pyproject(requirements: str) -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for group in project["optional-dependencies"].values() for d in group)]
    wanted = _pins(Path(PROJECT_ROOT / requirements).read_text().splitlines())
    assert wanted and wanted.items() <= _pins(declared).items()


@pytest.mark.parametrize(("version", "wanted"), [("1", {"nltk"}), ("2", set())])
def test_the_layer_installs_what_the_served_preprocessing_needs(tmp_path: Path, version: str, wanted: set[str]) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"preprocessing": {"preprocessor": version}}))
    done = subprocess.run(
        [sys.executable, "functions/layer/requirements.py", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    pins = _pins(done.stdout.splitlines())
    assert set(pins) == wanted
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    declared = [*project["dependencies"], *(d for group in project["optional-dependencies"].values() for d in group)]
    assert pins.items() <= _pins(declared).items()


def test_every_gateway_response_carries_the_cors_header() -> None:
    """A specific type (THROTTLED, REQUEST_TOO_LARGE...) does not inherit DEFAULT_4XX's headers: without
    its own, the browser hides the answer and the website can only say "cannot reach the API"."""
    api = next(r for r in load_template(TEMPLATE)["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    responses = api["Properties"]["GatewayResponses"]
    expected = responses["DEFAULT_4XX"]["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"]
    assert {"THROTTLED", "REQUEST_TOO_LARGE", "INTEGRATION_TIMEOUT", "MISSING_AUTHENTICATION_TOKEN"} <= set(responses)
    for kind, response in responses.items():
        assert response["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == expected, kind
        assert response["ResponseParameters"]["Headers"]["X-Content-Type-Options"] == "'nosniff'", kind


def test_the_website_gets_security_headers_from_cloudfront() -> None:
    resources = load_template(TEMPLATE)["Resources"]
    behaviour = resources["WebsiteDistribution"]["Properties"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "WebsiteSecurityHeaders"}
    config = resources["WebsiteSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert "frame-ancestors 'none'" in config["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert config["FrameOptions"]["FrameOption"] == "DENY" and "ContentTypeOptions" in config


def test_the_function_timeout_fits_api_gateways_and_the_stand_in_reads_it() -> None:
    spec = next(iter(read_api(TEMPLATE).functions().values()))
    assert 10 <= spec.timeout < 29  # API Gateway's integration timeout is 29 s


# What each service emits: namespace -> (its dimensions, the metrics we alarm on or chart).
EMITTED = {
    "AWS/ApiGateway": ({"ApiName", "Stage"}, {"Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"}),
    "AWS/Lambda": ({"FunctionName"}, {"Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"}),
    "AWS/SageMaker": (
        {"EndpointName", "VariantName"},
        {
            "Invocations",
            "Invocation4XXErrors",
            "Invocation5XXErrors",
            "ModelLatency",
            "OverheadLatency",
            "ModelSetupTime",
        },
    ),
    "Sentiment": (
        {"service"},
        {
            "Status400",
            "Status413",
            "Status429",
            "Status502",
            "Status503",
            "Status504",
            "ReviewsScored",
            "TruncatedReviews",
        },
    ),
}


def _resources(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in load_template(TEMPLATE)["Resources"].items() if r["Type"] == kind}


def test_every_alarm_watches_a_metric_the_service_emits_with_its_dimensions() -> None:
    alarms = _resources("AWS::CloudWatch::Alarm")
    assert len(alarms) >= 8
    api = next(iter(_resources("AWS::Serverless::Api").values()))["Properties"]
    for name, alarm in alarms.items():
        properties = alarm["Properties"]
        dimensions, metrics = EMITTED[properties["Namespace"]]
        assert properties["MetricName"] in metrics, name
        given = {d["Name"]: d["Value"] for d in properties["Dimensions"]}
        assert set(given) == dimensions, name
        if "ApiName" in given:
            assert given["ApiName"] == api["Name"] and given["Stage"] == api["StageName"]
        if "FunctionName" in given:
            assert given["FunctionName"] == {"Ref": "PredictFunction"}
        if "EndpointName" in given:
            assert given == {"EndpointName": {"Ref": "EndpointName"}, "VariantName": {"Ref": "EndpointVariantName"}}
        assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert isinstance(properties["Threshold"], dict) and "Ref" in properties["Threshold"], name  # a parameter


def test_the_dashboard_charts_only_emitted_metrics() -> None:
    dashboard = next(iter(_resources("AWS::CloudWatch::Dashboard").values()))
    body, _ = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    charted = 0
    for widget in widgets:
        namespace = None
        for metric in widget.get("properties", {}).get("metrics", []):
            names = [m for m in metric if isinstance(m, str)]
            namespace = names[0] if names[0] not in (".", "...") else namespace
            if names[0] != "...":
                assert names[1] in EMITTED[namespace][1] or names[1] == ".", names
                charted += 1
    assert charted >= 20


def test_the_reaper_may_delete_only_the_projects_endpoints() -> None:
    role = load_template(TEMPLATE)["Resources"]["ReaperRole"]["Properties"]
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    deleting = [s for s in statements if any("Delete" in a for a in _actions(s))]
    assert len(deleting) == 1 and _actions(deleting[0]) == ["sagemaker:DeleteEndpoint"]
    assert deleting[0]["Condition"] == {"StringEquals": {"aws:ResourceTag/project": "sentiment"}}
    assert not any(a.endswith("*") for s in statements for a in _actions(s))


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return [actions] if isinstance(actions, str) else list(actions)


def test_everything_optional_is_off_by_default() -> None:
    document = load_template(TEMPLATE)
    parameters, resources = document["Parameters"], document["Resources"]
    assert parameters["EnableIdleEndpointReaper"]["Default"] == "false"
    schedule = resources["ReaperFunction"]["Properties"]["Events"]["Hourly"]["Properties"]
    assert schedule["State"] == {"Fn::If": ["ReaperOn", "ENABLED", "DISABLED"]}
    assert document["Conditions"]["ReaperOn"] == {"Fn::Equals": [{"Ref": "EnableIdleEndpointReaper"}, "true"]}
    assert (
        parameters["AlarmEmail"]["Default"] == "" and resources["AlarmEmailSubscription"]["Condition"] == "EmailGiven"
    )


def test_tracing_and_log_retention() -> None:
    document = load_template(TEMPLATE)
    assert document["Globals"]["Function"]["Tracing"] == "Active"
    assert next(iter(_resources("AWS::Serverless::Api").values()))["Properties"]["TracingEnabled"] is True
    for group in _resources("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
