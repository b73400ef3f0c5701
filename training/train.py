"""SageMaker training entry point: the same code as `sentiment train` (sentiment.training.job).

SageMaker passes hyperparameters as `--name value` arguments and the data/model folders as
SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION and SM_MODEL_DIR, which the options default to.
The train channel holds train.csv and word_dict.json (and embeddings.npy); validation validation.csv.
"""

import sys

from sentiment.training.job import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
