"""Datasets, training, evaluation and export.

Importing this package pulls in neither torch nor GNU Radio: building a dataset needs only the
signal generator and the frontend (the torch-facing parts live in their own modules).
"""
