"""Upload the prepared training files (make data) to S3.

Usage: python training/upload_data.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("upload-data"))
