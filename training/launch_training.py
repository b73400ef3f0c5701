"""Train on SageMaker: the same entry point (train.py) as locally, SDK v3 ModelTrainer.

Usage: python training/launch_training.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("train"))
