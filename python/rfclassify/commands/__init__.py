"""The verbs of the ``rfclassify`` command, one module each (``register`` + ``run``)."""
