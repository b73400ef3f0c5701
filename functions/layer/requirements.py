"""Print the layer's requirements: the base dependencies of pyproject.toml plus the dependency groups the
served model's preprocessing version needs (e.g. NLTK's stemmer for the classic version only).

Usage (from the project root, as the layer's Makefile runs it): python functions/layer/requirements.py MODEL_DIR
"""

import json
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
from sentiment.text.preprocess import preprocessor  # standard library only, from this checkout

model_dir = Path(sys.argv[1])
version = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["preprocessing"]["preprocessor"]
project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
wanted = list(project["dependencies"])
for group in preprocessor(version).requirements:
    wanted += project["optional-dependencies"][group]
print("\n".join(wanted))
