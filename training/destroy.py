"""Delete the endpoint, its config, models and autoscaling, and the stack: stops the bill.

Usage: python training/destroy.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("destroy"))
