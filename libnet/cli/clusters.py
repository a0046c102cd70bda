"""`libnet clusters`: the union catalogue's clusters regrouped, shown, split and joined."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from libnet.cli.console import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from libnet.numbers import whole_number
from libnet.store import RecordStore


def record_ref(text: str) -> tuple[str, str]:
    """A record named on the command line as CODE:ID (an argparse type)."""
    library, sep, local_id = text.partition(":")
    if not sep or not library or not local_id:
        raise argparse.ArgumentTypeError(f"{text!r} is not CODE:ID, e.g. marl:300002")
    return library, local_id


def cmd_clusters(store: RecordStore, args: argparse.Namespace) -> int:
    from index.grouping import apply_override, update_clusters
    from libnet.store import clusters
    from libnet.store.clusters import ALWAYS, NEVER, Override

    if args.clusters_command == "update":
        report = update_clusters(store, full=args.full)
        print(f"{report.records} changed records regrouped, {len(report.changed)} clusters changed")
        return EXIT_OK
    if args.clusters_command in ("split", "join"):
        kind = NEVER if args.clusters_command == "split" else ALWAYS
        try:
            changed = apply_override(store, Override(kind, args.a, args.b, args.note))
        except LookupError as exc:
            print(f"libnet: {exc.args[0]}", file=sys.stderr)
            return EXIT_FAILED
        word = "kept apart" if kind == NEVER else "joined"
        print(
            f"{args.a[0]}:{args.a[1]} and {args.b[0]}:{args.b[1]} are {word} from now on; "
            f"clusters changed: {', '.join(map(str, sorted(changed))) or 'none'}"
        )
        return EXIT_OK
    with store.engine.connect() as conn:
        if ":" in args.cluster:
            try:
                ref = record_ref(args.cluster)
            except argparse.ArgumentTypeError as exc:  # ":", "marl:" or ":1"
                print(f"libnet: {exc}", file=sys.stderr)
                return EXIT_USAGE
            record_id = clusters.record_ids(conn, [ref]).get(ref)
            found = clusters.cluster_of(conn, [record_id]) if record_id else {}
            wanted = found.get(record_id) if record_id else None
        else:
            number = whole_number(args.cluster)
            wanted = clusters.current_id(conn, number) if number is not None else None
        if wanted is None:
            print(f"libnet: no cluster {args.cluster}", file=sys.stderr)
            return EXIT_FAILED
        info = clusters.cluster_info(conn, wanted)
        members = clusters.members(conn, wanted)
    if args.json:
        print(
            json.dumps(
                {
                    "id": wanted,
                    "asked": args.cluster,
                    "changed_at": info.changed_at.isoformat(),
                    "members": [asdict(m) for m in members],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    if str(wanted) != args.cluster and ":" not in args.cluster:
        print(f"cluster {args.cluster} was merged into cluster {wanted}")
    print(f"cluster {wanted}: {len(members)} records")
    for m in members:
        print(f"  {m.library}:{m.local_id}  [{m.rule}] {m.evidence}")
    return EXIT_OK
