"""Synthetic extracts in the EXTRACTS.md layout, from a model of the care and health process.

``generate(out_dir, areas=…, quarters=…, children=…, seed=…, faults=…) -> SynthManifest``
is the whole interface (used by ``lac-health synth`` and ``lac-health demo``); see
docs/synthetic-data.md for what the model simulates and how it is calibrated.
"""

from __future__ import annotations

from pipelines.synth.faults import FAULT_KINDS, FILE_FAULTS, ROW_FAULTS, FaultError, InjectedFault
from pipelines.synth.formats import FORMATS
from pipelines.synth.generator import SynthManifest, WrittenFile, default_areas, generate

__all__ = [
    "FAULT_KINDS",
    "FILE_FAULTS",
    "FORMATS",
    "ROW_FAULTS",
    "FaultError",
    "InjectedFault",
    "SynthManifest",
    "WrittenFile",
    "default_areas",
    "generate",
]
