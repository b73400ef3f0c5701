"""Score training-file CSVs (e.g. test.csv) in S3 with SageMaker Batch Transform; rows come out `label,score`.

Usage: python training/batch_transform.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("batch-transform"))
