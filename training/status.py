"""What is billing now for this project in a region: endpoints (mode, instances, autoscaling, time up,
rough cost) and running jobs.

Usage: python training/status.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("status"))
