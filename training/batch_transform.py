"""Start a SageMaker Batch Transform job over training-file CSVs (e.g. test.csv) in S3.

    python training/batch_transform.py --model-name sentiment-model \
        --input s3://BUCKET/imdb/test.csv --output s3://BUCKET/imdb/scores/ [--wait]

The model must exist (created by the deploy step). Output rows are `label,score`.
"""

from __future__ import annotations

import argparse
import sys
import time

import boto3

from sentiment.transform import TransformJob, start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--input", required=True, help="s3:// URI of label,length,ids CSV file(s)")
    parser.add_argument("--output", required=True, help="s3:// prefix for the results")
    parser.add_argument("--job-name", default=f"sentiment-transform-{time.strftime('%Y%m%d-%H%M%S')}")
    parser.add_argument("--instance-type", default="ml.m5.large")
    parser.add_argument("--instance-count", type=int, default=1)
    parser.add_argument("--no-label-column", action="store_true", help="rows are length,ids (no label first)")
    parser.add_argument("--region", help="AWS region (default: your configured one)")
    parser.add_argument("--wait", action="store_true", help="wait until the job ends")
    args = parser.parse_args(argv)
    job = TransformJob(args.job_name, args.model_name, args.input, args.output, args.instance_type,
                       args.instance_count, has_label_column=not args.no_label_column)  # fmt: skip
    client = boto3.client("sagemaker", region_name=args.region)
    try:
        arn = start(client, job)
    except Exception as exc:  # boto3 raises many types; the user gets one line, not a traceback
        print(f"batch transform: error: {exc}", file=sys.stderr)
        return 2
    print(f"started {arn}")
    if args.wait:
        client.get_waiter("transform_job_completed_or_stopped").wait(TransformJobName=job.job_name)
        status = client.describe_transform_job(TransformJobName=job.job_name)["TransformJobStatus"]
        print(f"{job.job_name}: {status}; results in {args.output}")
        return 0 if status == "Completed" else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
