"""Errors that mean "the user gave us something we cannot use", not "the program is broken".

The CLI and the apps print these as one line (no traceback) and exit non-zero; anything else is a
bug and keeps its traceback.
"""


class RfclassifyError(Exception):
    """A user-facing problem, with a message that says what is wrong and what to do."""


class RecordingError(RfclassifyError, ValueError):
    """A recording (SigMF or raw IQ) that cannot be read or written as asked."""

    def __init__(self, path: object, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
