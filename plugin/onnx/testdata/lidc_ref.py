#!/usr/bin/python3
"""Reference masks for real CT: reads DICOM slices with pydicom, applies the
rescale (HU), and runs gen.py's numpy pipeline with the weights of a test
model. plugin/onnx's TestLIDCAgainstPydicomNumpy runs it; nothing is stored.

    /usr/bin/python3 lidc_ref.py MODEL SIDECAR OUTDIR FILE.dcm...

MODEL is a gen.py model name (binary-64, binary-256, binary-512). For each
FILE it writes OUTDIR/<basename>.scores.f32 (little-endian float32) and
OUTDIR/<basename>.labels.u8.
"""

import json
import os
import sys

import numpy as np
import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402

REFS = {"binary-64": gen.binary_ref, "binary-256": gen.binary_ref, "binary-512": gen.binary_ref}


def main():
    model, sidecar, out = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(sidecar) as f:
        spec = json.load(f)
    for path in sys.argv[4:]:
        ds = pydicom.dcmread(path)
        hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
        hu = hu.astype(np.float32).astype(np.float64)  # the host sends float32 HU
        scores, labels = gen.pipeline_planes(spec, REFS[model], [hu])
        base = os.path.join(out, os.path.basename(path))
        np.asarray(scores, dtype="<f4").tofile(base + ".scores.f32")
        labels.tofile(base + ".labels.u8")


if __name__ == "__main__":
    main()
