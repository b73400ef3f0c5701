"""`make device-check` (`python -m sentiment.training.device_check`): training on a GPU, checked.

On a machine with CUDA it trains a named config (default: `default`; `--config gpu --epochs 4
--unlabelled-rows 50000` for the GPU recipe) on a prepared data folder with `--device cuda` (mixed
precision), prints the time of every epoch and the validation accuracy beside the CPU figures the
shipped artifact recorded, then loads the saved artifact on the CPU and on the GPU and checks both
score the validation rows alike (the artifact holds CPU tensors; no GPU needed to serve it).
Without CUDA it says so in one line and exits 2.

The data must be a `sentiment data` folder (data/default, about 260 MB: prepare it on the GPU
machine, or carry a copy of it there).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from sentiment.core import config
from sentiment.core.arguments import non_negative_int, positive_float, positive_int, run_command
from sentiment.core.errors import ConfigError
from sentiment.model.artifact import load
from sentiment.model.inference import predict_logits
from sentiment.model.network import NAMED_CONFIGS, named_config
from sentiment.training.encoded import read_csv
from sentiment.training.train import TrainConfig
from sentiment.training.workflow import train_artifact

AGREEMENT = 1e-3  # logits of the saved artifact on the CPU against the GPU


def _full_precision() -> None:
    """fp32 arithmetic for the comparison: cuDNN's RNNs and matmuls default to TF32 (10-bit mantissas),
    which over 1,000 steps alone would move logits past AGREEMENT."""
    torch.backends.cudnn.rnn.fp32_precision = "ieee"  # type: ignore[attr-defined]
    torch.backends.cuda.matmul.fp32_precision = "ieee"  # type: ignore[attr-defined]


def _shipped_history() -> list[dict[str, object]]:
    path = config.SHIPPED_MODEL_DIR / "config.json"
    try:
        return list(json.loads(path.read_text())["training"]["history"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: no training history of the shipped model to compare with ({exc})") from None


def run(args: argparse.Namespace) -> int:
    if not torch.cuda.is_available():
        raise ConfigError("no CUDA device on this machine: the device check needs a GPU (see `make device-check`)")
    data = Path(args.data)
    shipped = _shipped_history()
    settings = TrainConfig(
        epochs=args.epochs, max_minutes=args.max_minutes, unlabelled_rows=args.unlabelled_rows, device="cuda"
    )
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(args.output or tmp)
        print(train_artifact(named_config(args.config), settings, data, data, output, progress=True), flush=True)
        history = json.loads((output / "config.json").read_text())["training"]["history"]
        cpu: dict[tuple[object, object], dict[str, object]] = {(r["branch"], r["epoch"]): r for r in shipped}
        print(f"\n{torch.cuda.get_device_name(0)}: epoch seconds (GPU) vs the shipped CPU run")
        for record in history:
            before = cpu.get((record["branch"], record["epoch"]), {})
            print(
                f"  {record['branch']} epoch {record['epoch']}: {record['seconds']:.1f} s "
                f"(CPU {before.get('seconds', '-')} s), validation accuracy {record['val_accuracy']:.2%} "
                f"(CPU {before.get('val_accuracy', float('nan')):.2%})"
            )
        validation = read_csv(data / "validation.csv")
        _full_precision()
        on_cpu = load(output)
        on_gpu = load(output)
        on_gpu.model.to("cuda")
        difference = float(
            np.abs(predict_logits(on_cpu.model, validation) - predict_logits(on_gpu.model, validation)).max()
        )
        print(
            f"saved artifact, CPU vs GPU scoring of {len(validation):,} validation rows: "
            f"max |delta logit| {difference:.2e}"
        )
        if difference > AGREEMENT:
            raise ConfigError(f"the artifact scores differently on the CPU (max |delta logit| {difference:.2e})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="device-check", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", default=str(config.DEFAULT_DATA_DIR), help="a `sentiment data` folder")
    parser.add_argument("--config", choices=sorted(NAMED_CONFIGS), default="default")
    defaults = TrainConfig()
    parser.add_argument("--epochs", type=positive_int, default=defaults.epochs)
    parser.add_argument("--unlabelled-rows", type=non_negative_int, default=defaults.unlabelled_rows)
    parser.add_argument("--max-minutes", type=positive_float, default=30.0)
    parser.add_argument("--output", help="keep the artifact here (default: a temporary folder)")
    return run_command("device-check", run, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
