"""Validators of the kurl-lb policy pack, grouped by concern.

Importable without starting a policy server (`PolicyPack(...)` never returns; only the pack's
`__main__.py` builds it).
"""
