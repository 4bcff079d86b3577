"""nibabel as the independent reference for the nifti package's tests.

Run by nibabel_test.go with Debian's /usr/bin/python3 (nibabel 5.0):

  nibabel_ref.py inspect < [{"path": ..., "dump": ...?}, ...]
      prints, for each file, what nibabel makes of it (shape, dtype, affines,
      codes, ...); with "dump", writes the voxel values (scaled, float32,
      little endian, in file order: i fastest, then j, k, volume) there, or
      for RGB images the raw R, G, B bytes.

  nibabel_ref.py generate DIR
      writes a matrix of NIfTI files made by nibabel into DIR (every datatype,
      both byte orders, NIfTI-1/2, single files and pairs, gzip, scaling, 4-D,
      each transform choice) and prints [{"path", "expect"}].
"""

import json
import os
import sys
import warnings

import numpy as np
import nibabel as nib

warnings.simplefilter("ignore")


def matrix(m):
    return None if m is None else np.asarray(m, dtype=np.float64).tolist()


def inspect(job):
    path, dump = job["path"], job.get("dump")
    out = {"path": path}
    try:
        img = nib.load(path)
    except Exception as e:  # noqa: BLE001 - the message is the result
        out["error"] = f"{type(e).__name__}: {e}"
        return out
    out["class"] = type(img).__name__
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti1Pair)):
        # Analyze, CIFTI: report the raw shape only, when there is one.
        try:
            with open(path, "rb") as f:
                out["shape"] = [int(d) for d in nib.Nifti2Header.from_fileobj(f).get_data_shape()]
        except Exception:  # noqa: BLE001 - not NIfTI-2
            pass
        return out
    h = img.header
    out.update(
        shape=[int(d) for d in img.shape],
        dtype=str(h.get_data_dtype()),
        affine=matrix(img.affine),
        sform=matrix(h.get_sform()),
        sform_code=int(h["sform_code"]),
        qform_code=int(h["qform_code"]),
        intent_code=int(h["intent_code"]),
        zooms=[float(z) for z in h.get_zooms()],
        descrip=h["descrip"].tobytes().split(b"\0")[0].decode("latin-1"),
        cal_min=float(h["cal_min"]),
        cal_max=float(h["cal_max"]),
        xyzt_units=int(h["xyzt_units"]),
        vox_offset=int(img.dataobj.offset),
        slope=float(img.dataobj.slope),
        inter=float(img.dataobj.inter),
        endian=h.endianness,
        sizeof_hdr=int(h["sizeof_hdr"]),
    )
    try:
        out["qform"] = matrix(h.get_qform())
    except Exception as e:  # noqa: BLE001
        out["qform_error"] = str(e)
    if dump:
        try:
            if h.get_data_dtype().names:  # RGB: structured dtype
                arr = np.asanyarray(img.dataobj)
                with open(dump, "wb") as f:
                    f.write(np.ravel(arr, order="F").tobytes())
            else:
                arr = img.get_fdata(dtype=np.float64)
                out["nan"] = int(np.isnan(arr).sum())
                out["sum"] = float(np.sum(arr[np.isfinite(arr)]))  # JSON has no NaN/inf
                np.ravel(arr, order="F").astype("<f4").tofile(dump)
        except Exception as e:  # noqa: BLE001
            out["data_error"] = f"{type(e).__name__}: {e}"
    return out


def rotation(ax, ay, az):
    cx, sx, cy, sy, cz, sz = (np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az))
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def affine(rot, zooms, offset, flip=False):
    a = np.eye(4)
    z = np.array(zooms, dtype=np.float64)
    if flip:
        z[2] = -z[2]
    a[:3, :3] = rot @ np.diag(z)
    a[:3, 3] = offset
    return a


def generate(d):
    rng = np.random.default_rng(20240607)
    oblique = affine(rotation(0.3, -0.2, 0.7), (0.8, 1.25, 3.0), (-12.5, 40.25, 7.0))
    flipped = affine(rotation(-0.1, 0.4, 2.5), (2.0, 0.5, 1.5), (100.0, -20.0, -55.5), flip=True)
    axial = affine(np.diag([-1.0, -1.0, 1.0]), (0.7, 0.7, 2.5), (166.0, 171.7, -340.0))
    cases = []

    def save(name, img, expect="ok"):
        p = os.path.join(d, name)
        nib.save(img, p)
        cases.append({"path": p, "expect": expect})

    def data(dtype, shape):
        info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
        if info is not None:
            lo, hi = max(info.min, -30000), min(info.max, 60000)
            return rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
        a = rng.normal(0, 100, size=shape).astype(dtype)
        a.flat[3] = np.nan
        a.flat[7] = -0.0
        return a

    def image(cls, arr, aff, endian="<", qcode=1, scode=1, dtype=None):
        hdr = cls.header_class(endianness=endian)
        hdr.set_data_dtype(dtype or arr.dtype)
        img = cls(arr, None, hdr)
        img.set_sform(aff, code=scode)
        img.set_qform(aff, code=qcode)
        return img

    shape = (5, 4, 3)
    # Every datatype, alternating byte order and file form.
    dtypes = [np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.float32, np.float64]
    for n, dt in enumerate(dtypes):
        endian = "<>"[n % 2]
        name = f"{np.dtype(dt).name}_{'le' if endian == '<' else 'be'}"
        save(name + ".nii", image(nib.Nifti1Image, data(dt, shape), oblique, endian))
        save(name + "_n2.nii.gz", image(nib.Nifti2Image, data(dt, shape), flipped, "<>"[(n + 1) % 2]))
    rgb = np.zeros(shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    raw = rng.integers(0, 255, size=shape + (3,), endpoint=True).astype(np.uint8)
    rgb["R"], rgb["G"], rgb["B"] = raw[..., 0], raw[..., 1], raw[..., 2]
    save("rgb24.nii.gz", image(nib.Nifti1Image, rgb, axial))
    save("rgb24_be.nii", image(nib.Nifti1Image, rgb, oblique, ">"))

    # Scaling: float data stored as integers makes nibabel choose slope and
    # intercept.
    f = rng.normal(-500, 300, size=shape)
    save("scaled_int16.nii.gz", image(nib.Nifti1Image, f, oblique, dtype=np.int16))
    save("scaled_uint8_be.nii", image(nib.Nifti1Image, np.abs(f), axial, ">", dtype=np.uint8))

    # Pairs.
    save("pair_n1.hdr", image(nib.Nifti1Pair, data(np.int16, shape), oblique))
    save("pair_n2_be.hdr", image(nib.Nifti2Pair, data(np.float32, shape), flipped, ">"))
    save("pair_n1_gz.hdr.gz", image(nib.Nifti1Pair, data(np.uint16, shape), axial))

    # Transform choices.
    save("sform_only.nii", image(nib.Nifti1Image, data(np.int16, shape), oblique, qcode=0, scode=2))
    save("qform_only_flipped.nii", image(nib.Nifti1Image, data(np.int16, shape), flipped, qcode=1, scode=0))
    save("no_xform.nii.gz", image(nib.Nifti1Image, data(np.int16, shape), oblique, qcode=0, scode=0))
    sheared = oblique.copy()
    sheared[:3, 2] += 0.5 * sheared[:3, 0]
    img = image(nib.Nifti1Image, data(np.int16, shape), oblique)
    img.set_sform(sheared, code=1)
    save("sheared_sform.nii", img, expect="geometry")

    # Shapes.
    save("4d.nii.gz", image(nib.Nifti1Image, data(np.int16, shape + (3,)), oblique))
    save("4d_one_volume.nii", image(nib.Nifti1Image, data(np.int16, shape + (1,)), oblique))
    save("5d_trailing_one.nii", image(nib.Nifti1Image, data(np.int16, shape + (2, 1)), oblique))
    save("5d.nii", image(nib.Nifti1Image, data(np.int16, shape + (1, 2)), oblique), expect="unsupported")
    save("2d.nii", image(nib.Nifti1Image, data(np.int16, (6, 5)), axial))

    # Extensions shift vox_offset.
    img = image(nib.Nifti1Image, data(np.float32, shape), oblique)
    img.header.extensions.append(nib.nifti1.Nifti1Extension("comment", b"mmcseg test extension, 37 bytes long"))
    save("extension.nii", img)
    return cases


def main():
    if sys.argv[1] == "inspect":
        print(json.dumps([inspect(j) for j in json.load(sys.stdin)]))
    elif sys.argv[1] == "generate":
        print(json.dumps(generate(sys.argv[2])))
    else:
        sys.exit(f"unknown mode {sys.argv[1]}")


if __name__ == "__main__":
    main()
