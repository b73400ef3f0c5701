"""A small price table for the rough cost figures of `make status` (training/status.py).

SageMaker on-demand list prices for us-east-1 (Linux), as published on the AWS SageMaker pricing
page (https://aws.amazon.com/sagemaker/pricing/) in 2024, the last time this table was checked.
Other regions cost up to about 30% more; prices change: treat every figure as an estimate and the
AWS Billing console as the truth.
"""

from __future__ import annotations

PRICES_AS_OF = "2024 list prices, us-east-1"
HOURS_PER_MONTH = 730

# Real-time inference: dollars per instance-hour.
INSTANCE_HOURLY = {
    "ml.t2.medium": 0.056,
    "ml.t2.large": 0.111,
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.461,
    "ml.m5.4xlarge": 0.922,
    "ml.c5.large": 0.102,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c6i.large": 0.102,
    "ml.c6i.xlarge": 0.204,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
}
# Serverless inference: dollars per second of compute per GB of memory (nothing while idle), and per
# GB of data in and out.
SERVERLESS_PER_GB_SECOND = 0.0000200
SERVERLESS_PER_GB_DATA = 0.016


def instance_hourly(instance_type: str) -> float | None:
    """Dollars per hour of one instance of this type, or None if the table does not know it."""
    return INSTANCE_HOURLY.get(instance_type)
