"""Data shipped with the package: the virtual line's properties of the demo's design
(``line_174.parquet``; the command that made it is in its metadata) and two small
calendering field models (``calendering.next.safetensors``, the line's default, and
``calendering.direct.safetensors``; the command and data that made each in its header),
and ``calendering.next.v1.safetensors``, the first default, kept for the campaigns pinned to
it."""
