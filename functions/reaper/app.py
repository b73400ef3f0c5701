"""The idle-endpoint reaper's Lambda handler (thin; the logic is sentiment.ops.reaper, from the layer).

Scheduled by template.yaml (off unless `EnableIdleEndpointReaper=true`): deletes this project's
real-time endpoints with no invocation over the last IDLE_HOURS hours, and logs each one.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from sentiment.core import config
from sentiment.ops.reaper import idle_hours, reap

logger = Logger()
SAGEMAKER = boto3.client("sagemaker")
SCALING = boto3.client("application-autoscaling")
CLOUDWATCH = boto3.client("cloudwatch")


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    hours = idle_hours(os.environ.get(config.ENV_IDLE_HOURS, "24"))
    dry_run = os.environ.get(config.ENV_REAPER_DRY_RUN, "false").lower() == "true"
    deleted = reap(SAGEMAKER, SCALING, CLOUDWATCH, hours, dry_run, say=logger.info)
    return {"idle_hours": hours, "dry_run": dry_run, "endpoints": deleted}
