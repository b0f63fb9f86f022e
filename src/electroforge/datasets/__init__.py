"""Datasets: tables of recipes and properties, read, written and validated."""

from electroforge.datasets.io import SUFFIXES, metadata_path, read_dataset, write_dataset
from electroforge.datasets.validation import RowProblem, Validated, validate_dataset

__all__ = ["RowProblem", "SUFFIXES", "Validated", "metadata_path", "read_dataset",
           "validate_dataset", "write_dataset"]
