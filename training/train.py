"""SageMaker training entry point: the same code as `sentiment train`.

SageMaker passes hyperparameters as `--name value` arguments and the data/model folders as
SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION and SM_MODEL_DIR, which `sentiment train` reads.
The train channel holds train.csv and word_dict.json; the validation channel validation.csv.
"""

import sys

from sentiment.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", "--quiet", *sys.argv[1:]]))
