"""An outsider corpus: Lao persons as six offices outside the linker's team record them.

Written only from the exchange format (``shared/record-schema.md``), the README's user-facing parts and the
outside team's own knowledge of Lao and Thai names and records, never from the demo generator, the name keys,
the gazetteer or the blocking rules: its habits are ones the linker was not tuned to.

- ``syllables``, ``names``: Lao names by syllable in Lao script, Latin (official, ad hoc, Thai-style) and Thai script
- ``places``: provinces, districts and villages as clerks spell them
- ``population``: persons, households, marriages, moves, phones, documents, and when which office met them
- ``facts``: what one record knows of its person that day; ``typos``, ``formats``: slips and writing habits
- ``offices_lao``, ``offices_latin``, ``offices_thai``: each office's file shape
- ``corpus``: ``generate(out, persons, seed)`` writes ``out/inbox/<SOURCE>/<file>`` and ``out/truth.csv``
- ``mappings/``: the deployment's mapping per office (``laolink nightly --mappings``)
- ``missed_pairs``: a diagnosis of the true pairs the linker left apart

The benchmark is ``benchmarks/bench_outsider.py`` (seed 7 DEV; 101-103 held out).
"""

from benchmarks.outsider.corpus import MAPPINGS_DIR, generate

__all__ = ["MAPPINGS_DIR", "generate"]
