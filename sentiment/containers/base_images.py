"""The base images our containers start from: pulled where a registry answers, else stand-ins built here.

- `python:3.11-slim`, the base of model/Dockerfile and of the training stand-in; its stand-in is Debian
  bookworm from `debootstrap` (images/python-slim/build.sh), `docker import`ed;
- `public.ecr.aws/lambda/python:3.11`, what `sam local` runs the functions in; its stand-in
  (images/lambda-python) has Python 3.11 at /var/lang, awslambdaric and the runtime's boto3 in /var/runtime.

A stand-in carries the label `RECIPE_LABEL` with the hash of its recipe (and of the host's CA bundle,
which it holds): it is rebuilt only when that changes. An image that was pulled carries no such label
and is used as it is.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sentiment.containers import docker
from sentiment.containers.docker import RECIPE_LABEL, DockerError
from sentiment.core.config import PROJECT_ROOT

IMAGES_DIR = PROJECT_ROOT / "images"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
PYTHON_SLIM = "python:3.11-slim"
LAMBDA_PYTHON = "public.ecr.aws/lambda/python:3.11"
STANDIN_ENV = {
    "PATH": "/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin",
    "LANG": "C.UTF-8",
}


def recipe_hash(*paths: Path, extra: bytes = b"") -> str:
    """sha256 over the files at `paths` (folders: every file, by relative name) and `extra`."""
    digest = hashlib.sha256(extra)
    for path in paths:
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode() + b"\0")
            digest.update(hashlib.sha256(file.read_bytes()).digest())
    if HOST_CA_BUNDLE.is_file():
        digest.update(hashlib.sha256(HOST_CA_BUNDLE.read_bytes()).digest())
    return digest.hexdigest()[:16]


def _build_python_slim(key: str) -> None:
    """images/python-slim/build.sh into a temporary root file system, imported as PYTHON_SLIM."""
    with tempfile.TemporaryDirectory(prefix="python-slim-") as folder:
        rootfs = Path(folder) / "rootfs"
        script = IMAGES_DIR / "python-slim" / "build.sh"
        try:
            done = subprocess.run(["sh", str(script), str(rootfs)], capture_output=True, timeout=1200, check=False)
        except subprocess.TimeoutExpired:
            raise DockerError(f"stand-in {PYTHON_SLIM}: {script.name} did not finish within 20 minutes") from None
        if done.returncode != 0:
            said = (done.stderr or done.stdout).decode(errors="replace").strip().splitlines()
            raise DockerError(f"stand-in {PYTHON_SLIM}: {script.name} failed: {said[-1] if said else done.returncode}")
        changes = [f"ENV {name}={value}" for name, value in STANDIN_ENV.items()]
        changes += ['CMD ["python3"]', f"LABEL {RECIPE_LABEL}={key}"]
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        try:
            arguments = [item for change in changes for item in ("--change", change)]
            docker.docker(
                "import", *arguments, "-", PYTHON_SLIM, step=f"stand-in {PYTHON_SLIM}: import", input_pipe=tar.stdout
            )
        finally:
            tar.wait()


def runtime_sdk_pins(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> dict[str, str]:
    """The Lambda runtime's boto3 and botocore, as pyproject.toml's `api` group pins them (build arguments)."""
    group = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["optional-dependencies"]["api"]
    pins = dict(line.split("==", 1) for line in group if line.startswith(("boto3==", "botocore==")))
    return {f"{name.upper()}_VERSION": version for name, version in pins.items()}


def _build_lambda_python(key: str) -> None:
    folder = IMAGES_DIR / "lambda-python"
    docker.build(
        folder, LAMBDA_PYTHON, folder / "Dockerfile", build_args=runtime_sdk_pins(), labels={RECIPE_LABEL: key}
    )
    # `sam local` asks for the architecture's own tag.
    docker.docker("tag", LAMBDA_PYTHON, f"{LAMBDA_PYTHON}-x86_64", step=f"tag {LAMBDA_PYTHON}-x86_64")


@dataclass(frozen=True)
class BaseImage:
    name: str
    recipe: tuple[Path, ...]  # what the stand-in is built from (its hash keys the cache)
    build: Callable[[str], None]
    depends_on: str | None = None  # a base image the stand-in itself starts from

    def key(self) -> str:
        """The recipe's hash, with what else goes into the stand-in (the base it starts from, the pins)."""
        extra = json.dumps(runtime_sdk_pins() if self.name == LAMBDA_PYTHON else {}).encode()
        if self.depends_on:
            extra += docker.docker("image", "inspect", "--format", "{{.Id}}", self.depends_on, step="inspect").encode()
        return recipe_hash(*self.recipe, extra=extra)


BASE_IMAGES = (
    BaseImage(PYTHON_SLIM, (IMAGES_DIR / "python-slim",), _build_python_slim),
    BaseImage(LAMBDA_PYTHON, (IMAGES_DIR / "lambda-python",), _build_lambda_python, depends_on=PYTHON_SLIM),
)


def ensure(image: BaseImage) -> str:
    """Make `image` present; how: "pulled", "present (pulled before)", "stand-in (cached)" or "stand-in (built)"."""
    label = docker.image_label(image.name, RECIPE_LABEL)
    if label is None and docker.image_exists(image.name):
        return "present (pulled before)"
    key = image.key()
    if label == key:
        return "stand-in (cached)"
    if label is None and docker.pull(image.name, timeout=300):
        return "pulled"
    image.build(key)
    return "stand-in (built)"


def ensure_all(report: Callable[[str], None] = print) -> dict[str, str]:
    """Every base image, in dependency order; prints (through `report`) how each one came."""
    how = {}
    for image in BASE_IMAGES:
        how[image.name] = ensure(image)
        report(f"base image {image.name}: {how[image.name]}")
    return how
