"""Fixtures of the integration tests: the local stack (`sentiment up`), the Docker engine and the images
of `make images`, the `sam build` output, and `sam local` wired to the model image."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sentiment.core.config import SHIPPED_MODEL_DIR
from tests import containers
from tests.processes import free_port, running, up_command
from tests.sam import ORIGIN, Api, SamLocal, sam_build, write_env_vars


@pytest.fixture(scope="module")
def stack() -> Iterator[str]:
    port = free_port()
    with running(up_command(port, free_port()), f"http://127.0.0.1:{port}/health"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[None]:
    """A Docker engine for the session (started here when it may be, and then stopped after)."""
    with containers.engine():
        yield


@pytest.fixture(scope="session")
def images(docker_engine: None, pytestconfig: pytest.Config) -> str:
    """`make images`: the base images (pulled or stand-ins), the model image, the training stand-in."""
    output = containers.build_images()
    capture = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n[{containers.image_size_line(output)}]")
    return output


@pytest.fixture(scope="session")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`sam build` output (once per session): the built template beside the function and layer folders."""
    return sam_build(tmp_path_factory.mktemp("sam") / "build")


@pytest.fixture(scope="module")
def sam_local(images: str, built_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SamLocal]:
    """`sam local` with the function pointed at the model image (the shipped artifact), on a network."""
    folder = tmp_path_factory.mktemp("sam-local")
    model_dir = containers.sagemaker_model_dir(folder, SHIPPED_MODEL_DIR)
    with containers.network() as network, containers.model_container(model_dir, network_name=network) as model:
        env_vars = write_env_vars(
            folder / "env.json",
            {
                "PredictFunction": {
                    "ENDPOINT_NAME": "sentiment-endpoint",
                    "ALLOWED_ORIGIN": ORIGIN,
                    "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://{model.name}:8080",
                }
            },
        )
        yield SamLocal(built_template, network, env_vars)


@pytest.fixture(scope="module", params=["stand-in", "sam"])
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    """The API behind our API Gateway stand-in (`sentiment up`) and behind `sam local start-api`."""
    if request.param == "stand-in":
        url = request.getfixturevalue("stack")
        yield Api(url, url, "stand-in")
        return
    sam: SamLocal = request.getfixturevalue("sam_local")
    with sam.start_api() as url:
        yield Api(url, ORIGIN, "sam")
