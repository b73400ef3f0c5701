"""Package a model artifact (default: the shipped model) as model.tar.gz in S3.

Usage: python training/upload_model.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("upload-model"))
