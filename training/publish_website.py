"""Publish static/ to the stack's bucket with config.js from the stack outputs; invalidate CloudFront.

Usage: python training/publish_website.py --help
"""

import sys

from sentiment.aws.commands import main

if __name__ == "__main__":
    sys.exit(main("publish"))
