"""Each deployment unit's environment, built from its own declared dependencies alone.

Our `.venv` holds every extra at once, so a test that passes there proves nothing about the model
container or the SageMaker training job. These builders make a fresh virtual environment per unit,
from exactly what that unit declares, and cache it in `.cache/envs/` keyed on the files that
declare it (pyproject.toml, model/Dockerfile, the staged requirements.txt), so CI and reruns stay
fast while any change to a declaration rebuilds it.

- `serving_environment()` replays model/Dockerfile: its RUN pip lines in a fresh venv, its COPY
  lines into a program folder, its entry point `serve` on the venv's PATH. The one difference
  from `docker build`: torch comes from this machine's wheel of the same pinned CPU build instead
  of download.pytorch.org (the Dockerfile's `--index-url` is dropped; there is no internet here).
- `training_environment(requirements)` is the AWS PyTorch training image as far as we may rely on
  it (torch, numpy, boto3) plus exactly the requirements.txt that `stage_source()` writes.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sentiment.core.config import PROJECT_ROOT

ENVS = PROJECT_ROOT / ".cache" / "envs"
DOCKERFILE = PROJECT_ROOT / "model" / "Dockerfile"
# What the AWS PyTorch training image provides that the job may rely on (versions as our pins).
IMAGE_PACKAGES = ("torch==2.13.0", "numpy==2.4.6", "boto3==1.44.5")
_DONE = ".complete"


@dataclass(frozen=True)
class Venv:
    path: Path

    @property
    def bin(self) -> Path:
        return self.path / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def pip(self, *args: str, cwd: Path | None = None) -> None:
        run([str(self.python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args], cwd=cwd)

    def size_mb(self) -> float:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file() and not f.is_symlink()) / 1e6


def run(command: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    done = subprocess.run(list(command), cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-4000:]}")


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def fresh_venv(name: str, key: str) -> tuple[Venv, bool]:
    """The cached venv `name-key`, or a new empty one (True) to fill; older keys of `name` are removed."""
    venv = Venv(ENVS / f"{name}-{key}")
    if (venv.path / _DONE).is_file():
        return venv, False
    for stale in ENVS.glob(f"{name}-*"):
        shutil.rmtree(stale, ignore_errors=True)
    ENVS.mkdir(parents=True, exist_ok=True)
    run([sys.executable, "-m", "venv", str(venv.path)])  # no --system-site-packages: nothing leaks in
    venv.pip("install", "--upgrade", "pip")
    return venv, True


def mark_complete(venv: Venv) -> None:
    (venv.path / _DONE).write_text("ok\n")


# ---- the model container (model/Dockerfile) ----


@dataclass
class Dockerfile:
    """The instructions of model/Dockerfile that matter outside Docker."""

    base_image: str = ""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    steps: list[tuple[str, list[str]]] = field(default_factory=list)  # ("RUN", argv) or ("COPY", [src..., dest])
    command: list[str] = field(default_factory=list)


def read_dockerfile(path: Path = DOCKERFILE) -> Dockerfile:
    """Parse the Dockerfile; an instruction this reader does not know fails loudly (so the test is
    updated with the image, never silently out of step)."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    parsed = Dockerfile()
    for line in logical:
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            parsed.base_image = rest.split()[0]
        elif instruction == "ENV":
            for pair in shlex.split(rest):
                name, _, value = pair.partition("=")
                parsed.env[name] = value
        elif instruction == "WORKDIR":
            parsed.workdir = rest.strip()
        elif instruction == "RUN":
            parsed.steps.append(("RUN", shlex.split(rest)))
        elif instruction == "COPY":
            parsed.steps.append(("COPY", shlex.split(rest)))
        elif instruction == "CMD":
            parsed.command = json.loads(rest)
        elif instruction in ("EXPOSE", "ENTRYPOINT", "LABEL"):
            continue
        else:
            raise ValueError(f"{path}: instruction {instruction} is unknown to tests/unit_environments.py")
    return parsed


@dataclass(frozen=True)
class ServingEnvironment:
    venv: Venv
    program: Path  # the image's WORKDIR: the copied sources pip installed from
    env: dict[str, str]  # the image's ENV
    command: list[str]  # the image's CMD, resolved on the venv's PATH


def _image_path(venv: Venv, program: Path, workdir: str, target: str) -> Path:
    """Where a path of the image lives in our stand-in: /usr/local/bin -> the venv's bin."""
    if target.startswith("/usr/local/bin"):
        return venv.bin / target[len("/usr/local/bin") :].lstrip("/")
    return program / target if not target.startswith("/") else program / Path(target).relative_to(workdir)


def _pip_step(venv: Venv, argv: list[str], program: Path) -> None:
    if argv[:2] != ["pip", "install"]:
        raise ValueError(f"model/Dockerfile: only `pip install` and `chmod` RUN steps are replayed, not {argv}")
    args = argv[2:]
    if "--index-url" in args:  # the CPU index is unreachable here; this machine has the same wheel
        at = args.index("--index-url")
        del args[at : at + 2]
    venv.pip("install", *args, cwd=program)


def serving_environment() -> ServingEnvironment:
    """model/Dockerfile replayed into a venv (cached on the Dockerfile and pyproject.toml); the project's
    own code is copied and installed afresh on every call, as every image build does."""
    recipe = read_dockerfile()
    if not recipe.base_image.startswith("python:3.11"):
        raise ValueError(f"model/Dockerfile is based on {recipe.base_image}; this check runs Python 3.11")
    key = _digest(DOCKERFILE.read_bytes(), (PROJECT_ROOT / "pyproject.toml").read_bytes())
    venv, _ = fresh_venv("serve", key)
    program = venv.path / "program"
    shutil.rmtree(program, ignore_errors=True)
    program.mkdir()
    for kind, argv in recipe.steps:
        if kind == "COPY":
            *sources, target = argv
            for source in sources:
                origin = PROJECT_ROOT / source
                destination = _image_path(venv, program, recipe.workdir, target)
                if target.endswith("/") or len(sources) > 1:
                    destination = destination / origin.name
                if origin.is_dir():
                    shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, destination)
        elif argv[0] == "chmod":
            for target in argv[2:]:
                _image_path(venv, program, recipe.workdir, target).chmod(0o755)
        else:  # on a cached venv, what is installed already satisfies all but our own package
            _pip_step(venv, argv, program)
    mark_complete(venv)
    command = [str(venv.bin / recipe.command[0]), *recipe.command[1:]]
    return ServingEnvironment(venv, program, dict(recipe.env), command)


# ---- the SageMaker training job ----


def training_environment(requirements: Path) -> Venv:
    """torch, numpy and boto3 (what the training image has) plus exactly `requirements`."""
    venv, new = fresh_venv("train", _digest(requirements.read_bytes(), " ".join(IMAGE_PACKAGES).encode()))
    if new:
        venv.pip("install", *IMAGE_PACKAGES)
        venv.pip("install", "--requirement", str(requirements))
        mark_complete(venv)
    return venv


def py312_wheels_missing(requirements: Path) -> list[str]:
    """Pins of `requirements` with no wheel for CPython 3.12 on manylinux x86_64 (the training image),
    from pip's resolver in report mode (metadata only; cached per requirements file)."""
    cache = ENVS / f"py312-{_digest(requirements.read_bytes())}.json"
    if not cache.is_file():
        report = ENVS / "py312-report.json"
        ENVS.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--dry-run",
                "--quiet",
                "--ignore-installed",
                "--only-binary=:all:",
                "--python-version",
                "3.12",
                "--implementation",
                "cp",
                "--platform",
                "manylinux2014_x86_64",
                "--platform",
                "manylinux_2_28_x86_64",
                "--target",
                str(ENVS / "py312-target"),
                "--report",
                str(report),
                "--requirement",
                str(requirements),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        missing = [] if done.returncode == 0 else [done.stderr.strip().splitlines()[-1]]
        if not missing:
            installed = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
            wanted = [line.split("==")[0].lower() for line in requirements.read_text().split() if line]
            missing = [name for name in wanted if name not in installed]
        cache.write_text(json.dumps(missing))
    return json.loads(cache.read_text())  # type: ignore[no-any-return]
