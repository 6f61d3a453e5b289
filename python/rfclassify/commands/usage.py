"""The argument parser every ``rfclassify`` verb and the receiver use: bad arguments end in a
short usage, one line saying what is wrong and one saying what to do, and exit status 2.

``add_subparsers`` builds sub-parsers of the parser's own class, so the verbs, their actions and
the bench kinds all get it from the top-level parser.
"""

from __future__ import annotations

import argparse
import sys

# The innermost parser that met arguments it does not know, left on the namespace by
# parse_known_args: argparse hands a sub-parser's unrecognised arguments up to the top-level
# parser, whose usage and --help are the wrong ones to point at.
_OWNER = "_rfclassify_usage_parser"


class UsageParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors end with the way to the right ``--help``."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        what = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
        self.exit(2, f"{self.prog}: error: {what}\n{self.hint()}\n")

    def hint(self) -> str:
        """What to do next: read this parser's help (its verbs or kinds too, when it has some)."""
        choices = [a for a in self._actions if isinstance(a, argparse._SubParsersAction)]
        noun = "its options"
        if choices:
            noun = f"its {(choices[0].metavar or 'command').lower()}s and options"
        return f"run '{self.prog} --help' for {noun}"

    def parse_known_args(self, args=None, namespace=None):
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            vars(namespace).setdefault(_OWNER, self)
        return namespace, extras

    def parse_args(self, args=None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        owner = vars(namespace).pop(_OWNER, self)
        if extras:
            owner.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace
