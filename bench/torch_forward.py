#!/usr/bin/python3
"""Independent float64 PyTorch forward of an otfuse/HF ViT checkpoint, compared with `otfuse predict`.

Reads DIR/config.json, DIR/model.safetensors (parsed with numpy, no safetensors package needed) and
DIR/preprocessor_config.json, runs HF ViTForImageClassification semantics written with torch.nn.functional
in float64 on the first N Fashion-MNIST test images (gz IDX), and compares with the float32 logits of
`otfuse predict DIR --limit N --out FILE.npy`. Prints the max relative error (max |diff| / max |logit| per image).
Usage: torch_forward.py DIR FILE.npy [IDX_DIR]
"""
import gzip
import json
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        dt = {"F32": np.float32, "F16": np.float16, "F64": np.float64}[v["dtype"]]
        out[k] = torch.from_numpy(np.frombuffer(data[a:b], dtype=dt).astype(np.float64).reshape(v["shape"]))
    return out


def vit(w, cfg, x):
    d, heads, eps = cfg["hidden_size"], cfg["num_attention_heads"], cfg["layer_norm_eps"]
    p = cfg["patch_size"]
    h = F.conv2d(x, w["vit.embeddings.patch_embeddings.projection.weight"], w["vit.embeddings.patch_embeddings.projection.bias"], stride=p)
    h = h.flatten(2).transpose(1, 2)
    h = torch.cat([w["vit.embeddings.cls_token"].expand(x.shape[0], -1, -1), h], 1) + w["vit.embeddings.position_embeddings"]
    for i in range(cfg["num_hidden_layers"]):
        pre = "vit.encoder.layer.%d." % i
        lin = lambda t, n: F.linear(t, w[pre + n + ".weight"], w[pre + n + ".bias"])
        a = F.layer_norm(h, (d,), w[pre + "layernorm_before.weight"], w[pre + "layernorm_before.bias"], eps)
        b, t, _ = a.shape
        split = lambda z: z.view(b, t, heads, d // heads).transpose(1, 2)
        q, k, v = split(lin(a, "attention.attention.query")), split(lin(a, "attention.attention.key")), split(lin(a, "attention.attention.value"))
        s = (q @ k.transpose(-1, -2) / (d // heads) ** 0.5).softmax(-1)
        h = lin((s @ v).transpose(1, 2).reshape(b, t, d), "attention.output.dense") + h
        a = F.layer_norm(h, (d,), w[pre + "layernorm_after.weight"], w[pre + "layernorm_after.bias"], eps)
        h = lin(F.gelu(lin(a, "intermediate.dense")), "output.dense") + h
    h = F.layer_norm(h, (d,), w["vit.layernorm.weight"], w["vit.layernorm.bias"], eps)
    return F.linear(h[:, 0], w["classifier.weight"], w["classifier.bias"])


def main():
    d, npy = sys.argv[1], sys.argv[2]
    idx = sys.argv[3] if len(sys.argv) > 3 else "/usr/share/datasets/fashion-mnist"
    cfg = json.load(open(d + "/config.json"))
    pre = json.load(open(d + "/preprocessor_config.json"))
    got = np.load(npy)
    n = got.shape[0]
    with gzip.open(idx + "/t10k-images-idx3-ubyte.gz") as f:
        f.read(16)
        s = cfg["image_size"]
        img = np.frombuffer(f.read(n * s * s), dtype=np.uint8).reshape(n, 1, s, s).astype(np.float64)
    x = img * pre["rescale_factor"]
    x = (x - np.array(pre["image_mean"]).reshape(1, -1, 1, 1)) / np.array(pre["image_std"]).reshape(1, -1, 1, 1)
    want = vit(load_safetensors(d + "/model.safetensors"), cfg, torch.from_numpy(x)).numpy()
    rel = (np.abs(got - want).max(1) / np.abs(want).max(1)).max()
    print("images %d, classes %d, max relative error %.3g, argmax agreement %d/%d" % (n, want.shape[1], rel, (got.argmax(1) == want.argmax(1)).sum(), n))
    sys.exit(0 if rel < 1e-4 else 1)


if __name__ == "__main__":
    main()
