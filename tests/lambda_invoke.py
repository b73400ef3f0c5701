"""Invoke a built Lambda handler on event files the way Lambda does (run as `python -S`).

argv: function_dir layer_python_dir runtime_dir event.json...  The path holds only the function's
folder, the layer (mounted at /opt/python on Lambda) and the runtime's boto3, so the test proves
the built artifact carries everything else itself. Prints one JSON document.
"""

import importlib
import json
import os
import sys
import time
import uuid

function_dir, layer_dir, runtime_dir, *events = sys.argv[1:]
sys.path[:0] = [function_dir, layer_dir, runtime_dir]
# What Lambda sets before the handler's module loads; the X-Ray SDK, for one, reads LAMBDA_TASK_ROOT to
# know it runs in Lambda (elsewhere it builds a sampling client at import: a cost Lambda never pays).
os.environ.update(
    LAMBDA_TASK_ROOT=function_dir,
    AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
    AWS_LAMBDA_FUNCTION_NAME="PredictFunction",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
)


class Context:
    function_name = "PredictFunction"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:PredictFunction"
    aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


started = time.perf_counter()
importlib.import_module("boto3")  # the runtime's own library, timed apart from ours
boto3_s = time.perf_counter() - started
importlib.import_module("aws_xray_sdk.core")  # what Powertools' Tracer loads (its recorder makes a client)
xray_s = time.perf_counter() - started - boto3_s
app = importlib.import_module("app")
init_s = time.perf_counter() - started
import sentiment  # noqa: E402 (after the path is set)

responses = {}
for path in events:
    with open(path, encoding="utf-8") as handle:  # noqa: PTH123 (the standard library only, like a handler)
        responses[path] = app.lambda_handler(json.load(handle), Context())
timings = {"init_s": init_s, "boto3_s": boto3_s, "xray_s": xray_s}
print(json.dumps({**timings, "sentiment_file": sentiment.__file__, "responses": responses}))
