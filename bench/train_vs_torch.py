#!/usr/bin/python3
"""Training-step throughput of the same ViT / BERT in PyTorch (Debian python3-torch 1.13, CPU).

The PyTorch half of bench/train-vs-torch: HF ViTForImageClassification / BertForMaskedLM
architectures written with torch.nn (fused QKV linear like the Java side), AdamW with HF's no-decay
groups, global grad-norm clipping 1.0, random data, 3 warm-up steps. Prints
  torch vit img/s X (...)
  torch bert tok/s Y (...)
Usage: train_vs_torch.py vit|bert|both STEPS BATCH THREADS
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, d, heads, mlp, pre_ln):
        super().__init__()
        self.h, self.pre = heads, pre_ln
        self.q, self.k, self.v = nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, d)
        self.o = nn.Linear(d, d)
        self.ln1, self.ln2 = nn.LayerNorm(d, eps=1e-12), nn.LayerNorm(d, eps=1e-12)
        self.f1, self.f2 = nn.Linear(d, mlp), nn.Linear(mlp, d)

    def attn(self, x):
        b, t, d = x.shape
        w = torch.cat([self.q.weight, self.k.weight, self.v.weight])
        bias = torch.cat([self.q.bias, self.k.bias, self.v.bias])
        qkv = F.linear(x, w, bias).view(b, t, 3, self.h, d // self.h).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0] * (1.0 / math.sqrt(d // self.h)), qkv[1], qkv[2]
        p = (q @ k.transpose(-1, -2)).softmax(-1)
        return self.o((p @ v).transpose(1, 2).reshape(b, t, d))

    def forward(self, x):
        if self.pre:  # ViT
            x = x + self.attn(self.ln1(x))
            return x + self.f2(F.gelu(self.f1(self.ln2(x))))
        x = self.ln1(x + self.attn(x))  # BERT
        return self.ln2(x + self.f2(F.gelu(self.f1(x))))


class ViT(nn.Module):
    def __init__(self, d=64, layers=4, heads=4, mlp=128, size=28, patch=7, ch=1, classes=10):
        super().__init__()
        self.proj = nn.Conv2d(ch, d, patch, patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, (size // patch) ** 2 + 1, d))
        self.layers = nn.ModuleList([Layer(d, heads, mlp, True) for _ in range(layers)])
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], 1) + self.pos
        for l in self.layers:
            x = l(x)
        return self.head(self.ln(x)[:, 0])


class Bert(nn.Module):
    def __init__(self, d=128, layers=4, heads=4, mlp=512, vocab=8000, maxlen=64):
        super().__init__()
        self.word, self.pos, self.tt = nn.Embedding(vocab, d), nn.Embedding(maxlen, d), nn.Embedding(2, d)
        self.ln = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.ModuleList([Layer(d, heads, mlp, False) for _ in range(layers)])
        self.tdense, self.tln = nn.Linear(d, d), nn.LayerNorm(d, eps=1e-12)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def forward(self, ids, positions):
        b, t = ids.shape
        x = self.ln(self.word(ids) + self.pos.weight[:t] + self.tt.weight[0])
        for l in self.layers:
            x = l(x)
        h = x.reshape(-1, x.shape[-1])[positions]
        h = self.tln(F.gelu(self.tdense(h)))
        return F.linear(h, self.word.weight, self.bias)


def optimizer(model):
    decay, no = [], []
    for n, p in model.named_parameters():
        (no if p.ndim == 1 or n in ("cls", "pos") or "ln" in n else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no, "weight_decay": 0.0}], lr=1e-4)


def run(model, make_loss, steps):
    opt = optimizer(model)
    tf = tb = to = 0.0
    for s in range(-3, steps):
        if s == 0:
            start = time.perf_counter()
        a = time.perf_counter()
        loss = make_loss()
        loss.item()
        b = time.perf_counter()
        loss.backward()
        c = time.perf_counter()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)
        d = time.perf_counter()
        if s >= 0:
            tf, tb, to = tf + b - a, tb + c - b, to + d - c
    total = time.perf_counter() - start
    return total / steps, tf / steps, tb / steps, to / steps


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    batch = int(sys.argv[3]) if len(sys.argv) > 3 else 128
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if which in ("vit", "both"):
        m = ViT()
        x = torch.randn(batch, 1, 28, 28)
        y = torch.randint(0, 10, (batch,))
        t = run(m, lambda: F.cross_entropy(m(x), y), steps)
        print("torch vit img/s %.1f  (per step: forward %.1f ms, backward %.1f ms, optimizer %.1f ms; batch %d, %d steps, %d threads)"
              % (batch / t[0], t[1] * 1e3, t[2] * 1e3, t[3] * 1e3, batch, steps, threads), flush=True)
    if which in ("bert", "both"):
        bb, t_len, vocab = max(1, batch // 2), 64, 8000
        m = Bert()
        ids = torch.randint(5, vocab, (bb, t_len))
        masked = round(bb * t_len * 0.15)
        pos = torch.tensor([i * bb * t_len // masked for i in range(masked)])
        lab = torch.randint(5, vocab, (masked,))
        t = run(m, lambda: F.cross_entropy(m(ids, pos), lab), steps)
        print("torch bert tok/s %.1f  (per step: forward %.1f ms, backward %.1f ms, optimizer %.1f ms; batch %d x %d, %d steps, %d threads)"
              % (bb * t_len / t[0], t[1] * 1e3, t[2] * 1e3, t[3] * 1e3, bb, t_len, steps, threads), flush=True)


if __name__ == "__main__":
    main()
