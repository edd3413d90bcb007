"""Reference data: Brønnøysund units, SSB regions, Norges Bank rates; recipient identity and enrichment.

Each reference module reads its source formats into one normalised frame (pure functions), and
``assets.py`` wires them: a landing folder wins when present, otherwise the snapshot bundled under
``data/reference/<source_id>/`` is used.
"""
