"""Start awslambdaric with the import path Lambda's python3.11 runtime gives a function:
/var/task, the layers' /opt/python/lib/python3.11/site-packages and /opt/python, then the runtime."""

import os
import site
import sys

import awslambdaric.__main__ as ric

TASK_ROOT = os.environ["LAMBDA_TASK_ROOT"]
LAYER_PATHS = (f"/opt/python/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages", "/opt/python")


def main() -> None:
    if "PYTHONPATH" not in os.environ:
        for path in reversed(LAYER_PATHS):
            sys.path.insert(0, path)
        os.environ["PYTHONPATH"] = os.environ["LAMBDA_RUNTIME_DIR"]
        for path in LAYER_PATHS:
            site.addsitedir(path)
    sys.path.insert(0, TASK_ROOT)
    site.addsitedir(TASK_ROOT)
    ric.main([TASK_ROOT, os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
