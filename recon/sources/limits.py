"""The bounds every input file (inventory, loop config, scenario) is parsed within.

One place for the numbers; docs/design.md, section "Input limits", says why each is what it is.
"""

from __future__ import annotations

# Deepest nesting of mappings and sequences in any input (the top-level mapping is depth 1). Real
# inventories need under 10; the bound keeps every walk over the data far from Python's recursion limit.
MAX_DEPTH = 64

# Nodes that YAML aliases (*name) may add to a file, in total. An alias copies its anchor's subtree,
# so a few kilobytes of nested aliases ("billion laughs") would otherwise expand to gigabytes.
MAX_ALIAS_NODES = 10_000

# Scalar characters (keys and values) that aliases may add to a file, in total: one long string
# aliased many times stays within MAX_ALIAS_NODES yet multiplies the bytes every later step handles.
MAX_ALIAS_CHARS = 4 * 1024 * 1024

# YAML below this size is read by PyYAML's pure-Python parser, whose syntax errors are worded best;
# larger files by libyaml (when PyYAML has it), several times faster.
PURE_YAML_MAX_BYTES = 256 * 1024

# The size the parsers are benchmarked to (benchmarks/input_bench.py): a valid 50 MB YAML or JSON
# inventory, and one with an error near its end, loads or fails within the stated time and memory.
SUPPORTED_INVENTORY_BYTES = 50 * 1024 * 1024
