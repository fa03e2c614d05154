"""The ``factorscope`` command. Each subcommand exists only once it works."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from .cli_demo import add_demo_parser
from .cli_evaluate import add_evaluate_parser
from .cli_prepare import add_prepare_parser
from .cli_serve import add_serve_parser
from .cli_token import add_token_parser
from .cli_train import add_train_parser
from .cli_worker import add_worker_parser
from .demo_weights.cli import add_demo_weights_parser

COMMANDS = (add_train_parser, add_prepare_parser, add_evaluate_parser, add_worker_parser, add_serve_parser,
            add_demo_parser, add_token_parser, add_demo_weights_parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="factorscope", description="Explore the latent factors of generative models.")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in COMMANDS:
        add(sub)
    return parser


def parse_assignments(pairs: Sequence[str]) -> dict[str, Any]:
    """``["beta=4", "hidden=[128,128]"]`` -> {"beta": 4, "hidden": [128, 128]} (values parsed as JSON,
    falling back to the plain string)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"factorscope: expected KEY=VALUE, got {pair!r}")
        try:
            out[key] = json.loads(raw)
        except json.JSONDecodeError:
            out[key] = raw
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("\ninterrupted; the last checkpoint can be resumed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
