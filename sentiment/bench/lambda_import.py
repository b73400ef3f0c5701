"""One cold import of the built prediction function, as Lambda does it (run as `python -S`: only the
function, the layer and the runtime's boto3 on the path). argv: function_dir layer_dir runtime_dir.
Prints {"boto3_s", "init_s"}: the runtime's boto3, then everything after it (the handler's own)."""

import importlib
import json
import os
import sys
import time

function_dir, layer_dir, runtime_dir = sys.argv[1:4]
sys.path[:0] = [function_dir, layer_dir, runtime_dir]
os.environ.update(
    LAMBDA_TASK_ROOT=function_dir,
    AWS_EXECUTION_ENV="AWS_Lambda_python3.11",
    AWS_LAMBDA_FUNCTION_NAME="PredictFunction",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE="512",
    AWS_DEFAULT_REGION="us-east-1",
    AWS_ACCESS_KEY_ID="cold",
    AWS_SECRET_ACCESS_KEY="cold",
    ENDPOINT_NAME="sentiment-endpoint",
    ALLOWED_ORIGIN="https://d111111abcdef8.cloudfront.net",
    POWERTOOLS_SERVICE_NAME="sentiment-api",
    POWERTOOLS_METRICS_NAMESPACE="Sentiment",
)
started = time.perf_counter()
importlib.import_module("boto3")  # the runtime's own, timed apart from ours
boto3_s = time.perf_counter() - started
HANDLER_MODULE = "app"  # the built handler, from the function's folder (a name, not an import of ours)
importlib.import_module(HANDLER_MODULE)

print(json.dumps({"boto3_s": boto3_s, "init_s": time.perf_counter() - started - boto3_s}))
