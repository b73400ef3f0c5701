"""Run the model server under gunicorn: `sentiment serve` locally, `serve` in the container."""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication

from .. import config
from ..errors import ConfigError
from ..ports import port_is_free
from .server import ModelServer


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn's documented custom-application hook: options in, our WSGI app out (one per worker)."""

    def __init__(self, model_dir: str, options: dict[str, Any]) -> None:
        self.model_dir = model_dir
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> ModelServer:
        return ModelServer.from_model_dir(self.model_dir)


def serve(model_dir: str, host: str = "127.0.0.1", port: int = 8080, workers: int = 0, timeout: int = 60) -> None:
    """Serve until interrupted; the model is loaded once in each worker as it starts."""
    if not port_is_free(host, port):
        raise ConfigError(f"port {port} on {host} is already in use: stop what runs there or pass --port")
    ModelServer.from_model_dir(model_dir)  # fail here, with our message, if the artifact is bad
    workers = workers or int(os.environ.get(config.ENV_SERVER_WORKERS, "0")) or os.cpu_count() or 1
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": 2,
        "timeout": timeout,
        "keepalive": 75,  # longer than the Lambda's idle connection reuse
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "sentiment-model-server",
    }
    _Gunicorn(model_dir, options).run()
