"""The idle-endpoint reaper under `sam local invoke` with its scheduled event (events/reaper/hourly.json),
its AWS calls answered by moto (a server on this machine, reached from the container through the Docker
network's gateway). The prediction function's events and HTTP contract under `sam local` are in
test_sam_application.py and test_local_stack.py."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto.core.utils import utcnow
from moto.sagemaker.models import sagemaker_backends
from moto.server import ThreadedMotoServer

from sentiment.core.config import PROJECT_ROOT
from tests import containers
from tests.processes import free_port
from tests.sam import SamLocal, write_env_vars

pytestmark = pytest.mark.slow
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sentiment-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/sentiment-model:1"


@pytest.fixture
def moto_server() -> Iterator[tuple[str, int]]:
    """moto on every interface of this machine (the container comes in through the network's gateway)."""
    port = free_port("0.0.0.0")
    server = ThreadedMotoServer(ip_address="0.0.0.0", port=port, verbose=False)
    server.start()
    try:
        yield server, port  # type: ignore[misc]
    finally:
        server.stop()


def sagemaker(port: int) -> Any:
    return boto3.client(
        "sagemaker",
        region_name=REGION,
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def create_endpoint(client: Any, name: str, variant: dict[str, Any], project: str = "sentiment") -> None:
    client.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    client.create_endpoint_config(
        EndpointConfigName=name, ProductionVariants=[{"VariantName": "AllTraffic", "ModelName": name, **variant}]
    )
    client.create_endpoint(EndpointName=name, EndpointConfigName=name, Tags=[{"Key": "project", "Value": project}])


def test_the_reaper_deletes_an_idle_real_time_endpoint_under_sam_local(
    sam_local: SamLocal, moto_server: tuple[Any, int], tmp_path: Any
) -> None:
    _, port = moto_server
    client = sagemaker(port)
    real_time = {"InstanceType": "ml.c5.large", "InitialInstanceCount": 1}
    create_endpoint(client, "idle", real_time)
    create_endpoint(client, "serverless", {"ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 5}})
    create_endpoint(client, "someone-elses", real_time, project="other")
    # Two days old, in the emulator (no invocation metrics exist, so every endpoint looks idle).
    for endpoint in sagemaker_backends["123456789012"][REGION].endpoints.values():
        endpoint.creation_time = utcnow() - timedelta(days=2)
    env_vars = write_env_vars(
        tmp_path / "env.json",
        {
            "ReaperFunction": {
                "AWS_ENDPOINT_URL": f"http://{containers.gateway(sam_local.network)}:{port}",
                "IDLE_HOURS": "24",
            }
        },
    )
    sam = SamLocal(sam_local.template, sam_local.network, env_vars)
    run = sam.invoke("ReaperFunction", PROJECT_ROOT / "events" / "reaper" / "hourly.json")
    assert run["result"] == {"idle_hours": 24.0, "dry_run": False, "endpoints": ["idle"]}, run["logs"][-2000:]
    left = {e["EndpointName"] for e in client.list_endpoints()["Endpoints"]}
    assert left == {"serverless", "someone-elses"}
    assert "deleted endpoint idle: no invocation in 24 h" in run["logs"]
