#!/usr/bin/env python3
"""Independent safetensors writer/reader built on numpy only (no safetensors package).

  st_interop.py write FILE EXPECTED.json   write a file with many dtypes; record each tensor's bytes as hex
  st_interop.py read FILE                  parse a file, check the format rules, print tensors as JSON
"""
import json
import struct
import sys

import numpy as np


def tensors():
    rng = np.random.default_rng(7)
    out = {}
    out["f32"] = rng.standard_normal((3, 5)).astype(np.float32)
    f32s = np.array([0.0, -0.0, np.inf, -np.inf, 1e-45, -1e-45, 3.4028235e38, 1.0, np.nan], dtype=np.float32)
    bits = f32s.view(np.uint32).copy()
    bits[-1] = 0x7FC12345  # NaN with a payload
    out["f32_special"] = bits.view(np.float32)
    h = rng.integers(0, 65536, size=(4, 4, 2), dtype=np.uint32).astype(np.uint16)
    h[0, 0, 0] = 0x7E01  # NaN payload
    h[0, 0, 1] = 0x0001  # smallest subnormal
    h[0, 1, 0] = 0x8000  # -0
    out["f16"] = h.view(np.float16)
    out["bf16"] = rng.integers(0, 65536, size=(7,), dtype=np.uint32).astype(np.uint16)  # stored raw
    out["f64"] = rng.standard_normal((2, 2))
    out["i64"] = np.array([[1, -2, 2**40]], dtype=np.int64)
    out["i32"] = np.array([7, -8], dtype=np.int32)
    out["u8"] = np.arange(5, dtype=np.uint8)
    out["bool"] = np.array([True, False, True])
    out["scalar"] = np.array(2.5, dtype=np.float32)
    out["empty"] = np.zeros((0, 3), dtype=np.float32)
    return out


DT = {np.float32: "F32", np.float16: "F16", np.float64: "F64", np.int64: "I64", np.int32: "I32",
      np.uint8: "U8", np.bool_: "BOOL"}


def write(path, expected_path):
    ts = tensors()
    header = {"__metadata__": {"format": "pt", "writer": "numpy"}}
    data = b""
    expected = {}
    # deliberately reverse-alphabetical data order, and header keys in yet another order
    for name in sorted(ts, reverse=True):
        a = ts[name]
        dtype = "BF16" if name == "bf16" else DT[a.dtype.type]
        raw = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
        expected[name] = {"dtype": dtype, "shape": list(a.shape), "hex": raw.hex()}
    hb = json.dumps(header).encode("utf-8")
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        f.write(data)
    with open(expected_path, "w") as f:
        json.dump(expected, f)


SIZES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "U8": 1, "BOOL": 1}


def read(path):
    blob = open(path, "rb").read()
    (n,) = struct.unpack("<Q", blob[:8])
    text = blob[8:8 + n].decode("utf-8")
    assert text.startswith("{"), "header must start with {"
    assert (8 + n) % 8 == 0, "header not padded to 8 bytes"
    header = json.loads(text)
    meta = header.pop("__metadata__", None)
    assert meta is not None and meta.get("format") == "pt", "missing __metadata__ format pt"
    data = blob[8 + n:]
    spans = sorted((v["data_offsets"][0], v["data_offsets"][1], k) for k, v in header.items())
    pos = 0
    for b, e, k in spans:
        assert b == pos, "offsets not contiguous at " + k
        pos = e
    assert pos == len(data), "data not covered exactly"
    out = {"__metadata__": meta, "data_order": [k for _, _, k in spans]}
    for k, v in header.items():
        b, e = v["data_offsets"]
        numel = int(np.prod(v["shape"])) if v["shape"] else 1
        assert e - b == numel * SIZES[v["dtype"]], "size mismatch for " + k
        if v["dtype"] in ("F32", "F64", "F16"):
            np_t = {"F32": "<f4", "F64": "<f8", "F16": "<f2"}[v["dtype"]]
            vals = np.frombuffer(data[b:e], dtype=np_t).astype(np.float64)
            total = float(np.nansum(vals))
        elif v["dtype"] == "BF16":
            vals = (np.frombuffer(data[b:e], dtype="<u2").astype(np.uint32) << 16).view(np.float32).astype(np.float64)
            total = float(np.nansum(vals))
        else:
            total = None
        out[k] = {"dtype": v["dtype"], "shape": v["shape"], "hex": data[b:e].hex(), "sum": total}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2], sys.argv[3])
    else:
        read(sys.argv[2])
