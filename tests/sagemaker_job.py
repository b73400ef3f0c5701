"""Run training/launch_training.py's command against moto (in process) with the SageMaker SDK's own
environment (.tools/sagemaker); print the CreateTrainingJob request as moto recorded it, as JSON.

argv: the launch_training.py arguments (without --role-arn, --data, --output).
"""

import contextlib
import io
import json
import os
import sys

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1",
    SAGEMAKER_VALIDATE_ROLE="false",
)  # moto cannot simulate IAM policies
os.environ.pop("AWS_PROFILE", None)

from moto import mock_aws

from sentiment.aws.commands import main

with mock_aws():
    import boto3

    boto3.client("s3").create_bucket(Bucket="sentiment-data")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = main(
            "train",
            [
                "--role-arn",
                "arn:aws:iam::123456789012:role/sentiment-sagemaker",
                "--data",
                "s3://sentiment-data/imdb",
                "--output",
                "s3://sentiment-data/models",
                *sys.argv[1:],
            ],
        )
    sagemaker = boto3.client("sagemaker")
    jobs = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    job = sagemaker.describe_training_job(TrainingJobName=jobs[0]["TrainingJobName"]) if jobs else {}
    code = []
    for channel in job.get("InputDataConfig", []):
        if channel["ChannelName"] == "code":
            bucket, _, prefix = channel["DataSource"]["S3DataSource"]["S3Uri"][5:].partition("/")
            listing = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
            code = [o["Key"][len(prefix) :] for o in listing.get("Contents", [])]
    print(json.dumps({"status": status, "stdout": output.getvalue(), "job": job, "code": code}, default=str))
