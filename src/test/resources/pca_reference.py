# The reference implementation's activation PCA (method.md 10.6), in float64 torch, on the matrices of a text file:
# line 1 "R n k", then act_0 (R rows of n values), then act_1 (R rows of n values). Prints the n x n Euclidean
# distances between the projected neurons of act_0 (rows) and act_1 (columns), one row per line.
import sys
import torch

vals = open(sys.argv[1]).read().split()
r, n, k = int(vals[0]), int(vals[1]), int(vals[2])
nums = torch.tensor([float(v) for v in vals[3:]], dtype=torch.float64)
act_0 = nums[: r * n].reshape(r, n)
act_1 = nums[r * n:].reshape(r, n)

mean_1 = torch.mean(act_1, dim=0)
u, s, v = torch.linalg.svd(act_1 - mean_1)
p = u[:, :k]
a0 = torch.matmul(p.t(), act_0 - mean_1)
a1 = torch.matmul(p.t(), act_1 - mean_1)
d = torch.cdist(a0.t(), a1.t())
for row in d.tolist():
    print(" ".join("%.17g" % x for x in row))
