"""`libnet demo-data`: the demo catalogue of the eleven libraries written to a folder."""

from __future__ import annotations

import argparse
import sys

from libnet.cli.console import EXIT_OK, EXIT_USAGE


def cmd_demo_data(args: argparse.Namespace) -> int:
    from libnet.demo import generate

    if args.titles < 1:
        print("libnet: --titles must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    summary = generate(args.out_dir, titles=args.titles, seed=args.seed)
    print(
        f"{summary.records} records ({summary.broken} deliberately broken) "
        f"in {len(summary.files)} files under {args.out_dir}"
    )
    for code, count in summary.per_library.items():
        print(f"  {code:<18}{count:>8}")
    return EXIT_OK
