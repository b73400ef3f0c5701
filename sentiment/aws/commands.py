"""The AWS commands behind training/*.py and the Makefile: argument parsing and one-line errors.

upload-data  upload-model  train  deploy  publish  destroy
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sentiment.aws.session import AwsError, aws_errors, session
from sentiment.core import config
from sentiment.core.arguments import positive_int
from sentiment.core.errors import SentimentError

ROLE_HELP = f"SageMaker execution role ARN (default: ${config.ENV_SAGEMAKER_ROLE_ARN})"


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--region", help="AWS region (default: your configured one)")
    parser.add_argument("--profile", help="AWS profile (default: your configured one)")


def _upload_data(argv: Sequence[str]) -> None:
    from sentiment.aws.artifacts import upload_data

    p = argparse.ArgumentParser(prog="upload_data.py", description="upload prepared training files to S3")
    p.add_argument(
        "--data", default=str(config.DEFAULT_DATA_DIR), help="folder from `make data` (default: data/default)"
    )
    p.add_argument("--s3", required=True, help="s3://bucket/prefix")
    _common(p)
    args = p.parse_args(argv)
    upload_data(Path(args.data), args.s3, session(args.region, args.profile))


def _upload_model(argv: Sequence[str]) -> None:
    from sentiment.aws.artifacts import upload_model

    p = argparse.ArgumentParser(prog="upload_model.py", description="package a model artifact as model.tar.gz in S3")
    p.add_argument(
        "--model-dir", default=str(config.SHIPPED_MODEL_DIR), help="artifact folder (default: the shipped model)"
    )
    p.add_argument("--s3", required=True, help="s3://bucket/path/model.tar.gz")
    _common(p)
    args = p.parse_args(argv)
    upload_model(Path(args.model_dir), args.s3, session(args.region, args.profile))


def _hyperparameter(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE (e.g. epochs=4), got {text!r}")
    return name.strip().replace("_", "-"), value.strip()


def _train(argv: Sequence[str]) -> None:
    from sentiment.aws.training_job import TrainingSpec, launch

    p = argparse.ArgumentParser(prog="launch_training.py", description="train on SageMaker (SDK v3 ModelTrainer)")
    p.add_argument("--data", required=True, help="s3:// prefix from upload_data.py (--local: a data folder)")
    p.add_argument("--output", required=True, help="s3:// prefix for the model artifact (--local: a folder)")
    p.add_argument(
        "--local",
        action="store_true",
        help="run the job in a local Docker container (SageMaker SDK local mode; --instance-type local_cpu/local_gpu)",
    )
    p.add_argument("--role-arn", default=os.environ.get(config.ENV_SAGEMAKER_ROLE_ARN, ""), help=ROLE_HELP)
    p.add_argument("--instance-type", default="ml.m5.xlarge", help="ml.m5.xlarge (CPU) or e.g. ml.g5.xlarge (GPU)")
    p.add_argument("--spot", action="store_true", help="managed spot training (cheaper, may wait for capacity)")
    p.add_argument("--max-runtime", type=int, default=3600, help="seconds before SageMaker stops the job")
    p.add_argument("--image-uri", help="training image (default: the AWS PyTorch training image)")
    p.add_argument(
        "--hyperparameter",
        "-H",
        type=_hyperparameter,
        action="append",
        default=[],
        help="NAME=VALUE for `sentiment train` (e.g. -H config=default -H epochs=4)",
    )
    p.add_argument("--no-wait", action="store_true", help="start the job and return")
    _common(p)
    args = p.parse_args(argv)
    hyperparameters = {"config": "default", **dict(args.hyperparameter)}
    spec = TrainingSpec(
        args.role_arn,
        args.data,
        args.output,
        args.instance_type,
        args.spot,
        args.max_runtime,
        hyperparameters,
        args.image_uri,
        local=args.local,
    )
    offline = args.local and args.image_uri  # a local container from a local image: no AWS call at all
    launch(spec, session(args.region, args.profile, verify=not offline), wait=not args.no_wait)


def _variant(text: str) -> tuple[str, str, float]:
    """NAME=s3://.../model.tar.gz[@WEIGHT]"""
    name, sep, rest = text.partition("=")
    uri, _, weight = rest.partition("@")
    try:
        value = float(weight) if weight else 1.0
    except ValueError:
        raise argparse.ArgumentTypeError(f"weight {weight!r} is not a number") from None
    if not sep or not name or not uri or value <= 0:
        raise argparse.ArgumentTypeError(f"expected NAME=s3://.../model.tar.gz[@WEIGHT], got {text!r}")
    return name, uri, value


def _deploy(argv: Sequence[str]) -> None:
    from sentiment.aws.endpoint import Autoscaling, DataCapture, EndpointSpec, Variant, check_spec, deploy

    p = argparse.ArgumentParser(prog="deploy_endpoint.py", description="create the SageMaker endpoint")
    p.add_argument("--endpoint-name", default="sentiment-endpoint")
    p.add_argument("--image-uri", required=True, help="the model-server image in ECR (model/Dockerfile)")
    p.add_argument("--role-arn", default=os.environ.get(config.ENV_SAGEMAKER_ROLE_ARN, ""), help=ROLE_HELP)
    p.add_argument("--model-data", help="s3://.../model.tar.gz (one variant, AllTraffic)")
    p.add_argument(
        "--variant",
        type=_variant,
        action="append",
        default=[],
        help="A/B: NAME=s3://.../model.tar.gz@WEIGHT, twice or more",
    )
    p.add_argument(
        "--mode",
        choices=("serverless", "realtime"),
        default="serverless",
        help="serverless scales to zero (the cheap default); realtime keeps instances running",
    )
    p.add_argument("--memory-mb", type=int, default=2048, help="serverless: 1024, 2048, ... 6144")
    p.add_argument("--max-concurrency", type=int, default=5, help="serverless: 1 to 200")
    p.add_argument("--instance-type", default="ml.m5.large")
    p.add_argument("--instance-count", type=int, default=1)
    p.add_argument("--autoscale", metavar="MIN:MAX", help="realtime: target-tracking autoscaling between MIN and MAX")
    p.add_argument("--invocations-per-instance", type=float, default=200.0, help="autoscaling target per minute")
    p.add_argument(
        "--data-capture", metavar="S3_URI", help="realtime: capture requests and answers there (for `sentiment drift`)"
    )
    p.add_argument("--capture-percent", type=int, default=100, help="share of requests captured (1-100)")
    _common(p)
    args = p.parse_args(argv)
    if bool(args.model_data) == bool(args.variant):
        p.error("give --model-data (one model) or --variant twice or more (A/B)")
    variants = [Variant(n, u, w) for n, u, w in args.variant] or [Variant("AllTraffic", args.model_data)]
    scaling = None
    if args.autoscale:
        low, _, high = args.autoscale.partition(":")
        if not (low.isdigit() and high.isdigit() and 1 <= int(low) <= int(high)):
            p.error(f"--autoscale {args.autoscale!r}: expected MIN:MAX such as 1:4")
        scaling = Autoscaling(int(low), int(high), args.invocations_per_instance)
    spec = EndpointSpec(
        args.endpoint_name,
        args.image_uri,
        args.role_arn,
        variants,
        serverless=args.mode == "serverless",
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        memory_mb=args.memory_mb,
        max_concurrency=args.max_concurrency,
        autoscaling=scaling,
        data_capture=DataCapture(args.data_capture, args.capture_percent) if args.data_capture else None,
    )
    check_spec(spec)  # SageMaker's rules for the mode, before any AWS call
    name = deploy(spec, session(args.region, args.profile))
    print(f"endpoint {name} is ready. Next: make deploy ENDPOINT_NAME={name}")


def _publish(argv: Sequence[str]) -> None:
    from sentiment.aws.website import publish, stack_outputs

    p = argparse.ArgumentParser(prog="publish_website.py", description="upload static/ to the stack's website")
    p.add_argument("--stack-name", default="sentiment")
    p.add_argument("--static-dir", default=str(config.STATIC_DIR))
    _common(p)
    args = p.parse_args(argv)
    aws = session(args.region, args.profile)
    publish(Path(args.static_dir), stack_outputs(args.stack_name, aws), aws)


def _destroy(argv: Sequence[str]) -> None:
    from sentiment.aws.endpoint import destroy
    from sentiment.aws.website import delete_stack

    p = argparse.ArgumentParser(prog="destroy.py", description="delete the endpoint and the stack (stops the bill)")
    p.add_argument("--endpoint-name", default="sentiment-endpoint")
    p.add_argument("--stack-name", default="sentiment")
    p.add_argument("--keep-stack", action="store_true", help="delete only the endpoint and its models")
    _common(p)
    args = p.parse_args(argv)
    aws = session(args.region, args.profile)
    deleted = destroy(args.endpoint_name, aws)
    if not args.keep_stack:
        deleted += delete_stack(args.stack_name, aws)
    print(f"{len(deleted)} things deleted." if deleted else "nothing was deployed under these names.")


def _batch_transform(argv: Sequence[str]) -> None:
    from sentiment.aws.batch_transform import TransformJob, follow, start

    p = argparse.ArgumentParser(
        prog="batch_transform.py",
        description="score training-file CSVs in S3 with SageMaker Batch Transform (output rows: label,score)",
    )
    p.add_argument("--model-name", required=True, help="a SageMaker model (created by deploy_endpoint.py)")
    p.add_argument("--input", required=True, help="s3:// URI of label,length,ids CSV file(s)")
    p.add_argument("--output", required=True, help="s3:// prefix for the results")
    p.add_argument("--job-name", default=f"sentiment-transform-{time.strftime('%Y%m%d-%H%M%S')}")
    p.add_argument("--instance-type", default="ml.m5.large")
    p.add_argument("--instance-count", type=positive_int, default=1)
    p.add_argument("--no-label-column", action="store_true", help="rows are length,ids (no label first)")
    p.add_argument("--wait", action="store_true", help="wait until the job ends")
    _common(p)
    args = p.parse_args(argv)
    job = TransformJob(
        args.job_name,
        args.model_name,
        args.input,
        args.output,
        args.instance_type,
        args.instance_count,
        has_label_column=not args.no_label_column,
    )
    aws = session(args.region, args.profile)
    print(f"started {start(aws, job)}")
    if args.wait:
        status = follow(aws, job.job_name)
        print(f"{job.job_name}: {status}; results in {args.output}")
        if status != "Completed":
            raise AwsError(f"batch transform job {job.job_name} ended {status}")


def _status(argv: Sequence[str]) -> None:
    from datetime import UTC, datetime

    from sentiment.ops.status import project_endpoints, report, running_jobs

    p = argparse.ArgumentParser(prog="status.py", description="what is billing now for this project, roughly")
    _common(p)
    args = p.parse_args(argv)
    aws = session(args.region, args.profile)
    sagemaker, scaling = aws.client("sagemaker"), aws.client("application-autoscaling")
    with aws_errors("listing the project's endpoints and jobs"):
        endpoints, jobs = project_endpoints(sagemaker, scaling), running_jobs(sagemaker)
    print(report(str(aws.region_name), endpoints, jobs, datetime.now(UTC)))


COMMANDS: dict[str, Callable[[Sequence[str]], None]] = {
    "upload-data": _upload_data,
    "upload-model": _upload_model,
    "train": _train,
    "deploy": _deploy,
    "publish": _publish,
    "destroy": _destroy,
    "batch-transform": _batch_transform,
    "status": _status,
}


def main(command: str, argv: Sequence[str] | None = None) -> int:
    """Run one command; our errors (and AWS's, translated) are one line and exit status 2."""
    try:
        COMMANDS[command](sys.argv[1:] if argv is None else argv)
    except SentimentError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"{command}: interrupted (what was started in AWS keeps running; `make destroy` stops it)", file=sys.stderr
        )
        return 130
    return 0
