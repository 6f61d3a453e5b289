"""``rfclassify keys``: CURVE key pairs for an encrypted, authenticated ZMQ feed (``io.curve``)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(verbs: argparse._SubParsersAction) -> None:
    parser = verbs.add_parser(
        "keys",
        help="make CURVE keys: an encrypted ZMQ feed that only authorised subscribers read",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "Make the key folder a classifier publishes with (--zmq-curve-keys DIR on\n"
            "rfclassify_rx.py, the block's ZMQ CURVE Keys Folder) and the key pairs of the\n"
            "subscribers it lets in. In DIR:\n\n"
            "  server.key            the publisher's public key: give it to each subscriber\n"
            "  server.key_secret     the publisher's key pair: stays on the station (0600)\n"
            "  authorized/NAME.key   one file per subscriber allowed in; delete one to revoke it\n"
            "                        (the publisher reads them when it starts)\n"
            "  NAME.key_secret       a subscriber's pair: copy it, with server.key, to that\n"
            "                        subscriber, then delete it here\n\n"
            "The server pair is made once and never replaced (delete server.key_secret by hand\n"
            "for a new one: it locks out every subscriber); run again with new --client names\n"
            "to add subscribers. Files are ZMQ certificates (zmq.auth), readable by any\n"
            "pyzmq/CZMQ program.\n\n"
            "examples:\n"
            "  rfclassify keys /etc/rfclassify/keys --client desk --client logger\n"
            "  rfclassify_rx.py --zmq tcp://0.0.0.0:5557 --zmq-curve-keys /etc/rfclassify/keys\n"
            "  rfclassify listen --address tcp://station:5557 --zmq-curve-keys ./keys "
            "--curve-client desk"
        ),
    )
    parser.add_argument("folder", metavar="DIR", type=Path, help="the key folder (made if absent)")
    parser.add_argument(
        "--client",
        action="append",
        default=[],
        metavar="NAME",
        help="make a subscriber key pair NAME and authorise it (repeat for more)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace existing client key pairs of those names"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..io.curve import create_keys

    written = create_keys(args.folder, args.client, force=args.force)
    for path in written:
        print(path)
    if not written:
        print(f"{args.folder}: the server keys exist; add subscribers with --client NAME")
    return 0
