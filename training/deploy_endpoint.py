"""Create the SageMaker endpoint (serverless, real-time with autoscaling, or A/B variants).

Usage: python training/deploy_endpoint.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("deploy"))
