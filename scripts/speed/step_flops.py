#!/usr/bin/env python3
"""Floating-point work of one DOSTransformer training step and of one prediction, counted
from the layer shapes (matrix products only; element-wise work is a few percent), and the
rate a measured epoch time implies.

    python3 scripts/speed/step_flops.py --hidden 256 --batch 1 --epoch-s 63.5
    python3 scripts/speed/step_flops.py --hidden 128 --batch 8 --epoch-s 11.64
    # the fastest any exact implementation could be, against a goal over PyTorch's time:
    python3 scripts/speed/step_flops.py --hidden 128 --batch 8 --peak-gflops 110 \
        --peer-train-s 19.3 --goal-train 3 --peer-infer-s 2.73 --goal-infer 5

Defaults: the phonon benchmark's mean crystal (7.4 atoms, 109 directed edges, 1,192 training
crystals), paper config (M 51, L' 3, L1 = L2 = L3 = 2, FFN 4d, prompt d/2, 118 node and 4
edge features). A training step is the forward pass of both branches plus its backward pass,
counted as twice the forward (input and weight gradients), so 3x the forward products.
The GNN's first edge layer is counted as computed: split by weight blocks, per atom for the
two atom blocks and per edge for the edge block.

With --peak-gflops (the attainable rate of one core, e.g. the `peak/ffn_*` benches of
`cargo bench --bench train_step`) the script prints the floor an exact implementation cannot
beat: the epoch's (or the 189-crystal inference pass's) products at that rate on --threads
cores, everything else free. A goal of R times PyTorch's time is out of reach when
PyTorch's time / R is below that floor.
"""
import argparse


def forward_macs(d, atoms, edges, m=51, gnn_layers=3, layers=2, f=118, fe=4, ffn=4):
    """Multiply-adds of one crystal's forward pass: (trunk, global branch, system branch)."""
    enc = atoms * (f * d + d * d) + edges * (fe * d + d * d)
    edge_layer = 2 * atoms * d * 2 * d + edges * d * 2 * d + edges * 2 * d * d
    node_layer = atoms * 2 * d * 2 * d + atoms * 2 * d * d
    gnn = enc + gnn_layers * (edge_layer + node_layer)
    ffn_block = 2 * m * d * ffn * d
    cross_block = ffn_block + 2 * m * atoms * d
    self_block = ffn_block + 2 * m * m * d
    trunk = gnn + d * d + layers * cross_block
    tail = layers * self_block + layers * cross_block + m * d
    glob = m * 2 * d * d + tail
    system = m * (2 * d + d // 2) * d + tail
    return trunk, glob, system


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--atoms", type=float, default=7.4)
    ap.add_argument("--edges", type=float, default=109.0)
    ap.add_argument("--crystals", type=int, default=1192, help="training crystals per epoch")
    ap.add_argument("--epoch-s", type=float, help="measured seconds per training epoch")
    ap.add_argument("--peak-gflops", type=float, help="attainable GFLOP/s of one core")
    ap.add_argument("--threads", type=int, default=1, help="cores for the floor")
    ap.add_argument("--infer-crystals", type=int, default=189, help="crystals of the inference pass")
    ap.add_argument("--peer-train-s", type=float, help="PyTorch's seconds per training epoch")
    ap.add_argument("--goal-train", type=float, default=3.0, help="goal: times faster in training")
    ap.add_argument("--peer-infer-s", type=float, help="PyTorch's seconds per inference pass")
    ap.add_argument("--goal-infer", type=float, default=5.0, help="goal: times faster in inference")
    a = ap.parse_args()
    trunk, glob, system = forward_macs(a.hidden, a.atoms, a.edges)
    step = 3 * 2 * (trunk + glob + system) * a.batch  # FLOP = 2 x multiply-adds
    predict = 2 * (trunk + system)
    print(f"d {a.hidden}, batch {a.batch}: {step / 1e9:.2f} GFLOP per training step, "
          f"{predict / 1e9:.3f} GFLOP per predicted crystal")
    if a.epoch_s:
        steps = -(-a.crystals // a.batch)
        print(f"{a.epoch_s} s per epoch = {1e3 * a.epoch_s / steps:.1f} ms per step "
              f"= {step * steps / a.epoch_s / 1e9:.1f} GFLOP/s")
    if a.peak_gflops:
        rate = a.peak_gflops * 1e9 * a.threads
        steps = -(-a.crystals // a.batch)
        rows = [("training epoch", step * steps / rate, a.peer_train_s, a.goal_train),
                (f"inference of {a.infer_crystals}", predict * a.infer_crystals / rate,
                 a.peer_infer_s, a.goal_infer)]
        for what, floor, peer, goal in rows:
            line = (f"{what}: floor {floor:.2f} s at {a.peak_gflops:g} GFLOP/s x {a.threads} "
                    f"core(s)")
            if peer:
                target = peer / goal
                verdict = "reachable" if target >= floor else "out of reach"
                line += (f"; {goal:g}x PyTorch's {peer:g} s = {target:.2f} s: {verdict} "
                         f"(at most {peer / floor:.2f}x)")
            print(line)


if __name__ == "__main__":
    main()
