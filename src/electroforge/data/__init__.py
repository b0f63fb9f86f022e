"""Data shipped with the package: the virtual line's properties of the demo's design
(``line_174.parquet``; the command that made it is in its metadata)."""
