"""The benchmark suite: tkach_sync measured side by side with its anchors and peers.

Run it with ``./scripts/bench`` (a fresh ``.venv-bench`` with the ``bench``
extra) or, in a venv that has the peers, ``python -m bench [--quick]``. It is
not part of the test suite: it asserts nothing, it measures and reports.

Every figure is the median (with min-max) over repeated runs, next to a ratio
against anchors measured in the same run. Streams come from a loopback server
in a separate process (``bench.server``) that replays pre-rendered transcripts
from memory, so every client reads exactly the same bytes.
"""
