#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets from tests/data/signatures.json."""
import base64, json, os, pathlib

here = pathlib.Path(__file__).resolve().parent
cases = json.loads((here.parent / "tests" / "data" / "signatures.json").read_text())
corpus = here / "corpus"
for target in ["signature_header", "timestamp_header", "verify", "chunked", "layer"]:
    (corpus / target).mkdir(parents=True, exist_ok=True)

for i, case in enumerate(cases):
    body = base64.b64decode(case["body_base64"])
    for name, value in case["headers"]:
        kind = name.lower().rsplit("-", 1)[-1]
        if kind == "signature":
            (corpus / "signature_header" / f"vec{i}").write_bytes(value.encode())
        elif kind == "timestamp":
            (corpus / "timestamp_header" / f"vec{i}").write_bytes(value.encode())
    # Structured targets read arbitrary bytes; the vectors' bodies and headers
    # are realistic material for them.
    blob = b"\n".join(v.encode() for _, v in case["headers"]) + b"\n" + body[:4096]
    for target in ["verify", "chunked", "layer"]:
        (corpus / target / f"vec{i}").write_bytes(blob)
print(f"seeded {len(cases)} cases into {corpus}")
