"""Parallel training (nets.distributed, issue 14): layer-parallel predsim and data-parallel BP vs one process.

Targets (issue 14), on this machine's 2 cores, 2 gloo processes of 1 torch thread each:

- layer-parallel predsim, 784-1024x4-10, batch 128: >= 1.6x the samples/s of one process
  (DFA layer-parallel on the same model as a further row: no target);
  the same model under BP with torch's DistributedDataParallel on 2 processes as the comparison row;
- data-parallel BP (``distributed="data"`` and ``"data-bf16"``) on 2 processes at batch 256: >= 1.5x one
  process; both readings of "batch 256": 256 in all (128 per process) and, DDP's convention, 256 per
  process (512 in all; one process at 512 is printed too); each through shared memory (the default
  when the ranks share a machine) and through gloo (``SMALLWORLD_DATA_TRANSPORT=backend``);
- communication bytes per mini-batch of each mode (counted on the wire calls or into shared memory, per rank);
- a *model* (paper estimate) of the speed-up on 8 and 64 workers from the measured per-block
  times and the measured cost of gloo messages on this machine.

Timing: every row trains through ``nets.train`` (one loop for every rule and mode) on random
data of ``--batches`` mini-batches per epoch and a 64-sample test set (evaluation is ~0.1 %% of an
epoch); samples/s is the median over epochs 2..``--epochs`` (epoch 1 warms up).  The DDP row is a
plain ``nn.Linear`` MLP with ``torch.nn.parallel.DistributedDataParallel``, timed the same way
(median over blocks of ``--batches`` steps).  One process runs with the whole thread budget
(2 threads here) and with 1 thread; speed-ups are against the faster one and against 1 thread.

Run:  python benchmarks/bench_parallel.py [--epochs 5] [--batches 24]
"""

from __future__ import annotations

import argparse
import datetime
import os
import socket
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nets import SparseMLP, apply_rule, train  # noqa: E402
from nets.distributed import layer_partition  # noqa: E402

SIZES = [784, 1024, 1024, 1024, 1024, 10]


def _data(n_train: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n_train, SIZES[0], generator=g)
    y = torch.randint(0, SIZES[-1], (n_train,), generator=g)
    return X, y, X[:64].clone(), y[:64].clone()


def _rate(history: list[dict], n_train: int) -> float:
    times = [h["time_s"] for h in history[1:]] or [history[0]["time_s"]]
    return n_train / statistics.median(times)


def one_process(rule: str, batch: int, epochs: int, batches: int, threads: int) -> float:
    from smallworld._threads import thread_limit

    n = batch * batches
    with thread_limit(threads):
        res = train(SparseMLP(SIZES, seed=0), rule, _data(n), epochs=epochs, batch_size=batch, seed=0, progress=False)
    return _rate(res.history, n)


# -- workers (spawned): gloo, 1 thread, bytes counted on the wire calls ------------------------------


def _count_bytes(counter: list[int]) -> None:
    """Count the bytes handed to the other ranks: on the wire calls, and into the shared-memory all-reduce."""
    import torch.distributed as dist

    from nets._shmreduce import SharedReducer

    for name in ("all_reduce", "send", "isend"):
        fn = getattr(dist, name)

        def wrapped(t, *a, _fn=fn, **k):
            counter[0] += t.numel() * t.element_size()
            return _fn(t, *a, **k)

        setattr(dist, name, wrapped)
    shm = SharedReducer.all_reduce

    def shm_wrapped(self, grads, weight):
        n = shm(self, grads, weight)
        counter[0] += n
        return n

    SharedReducer.all_reduce = shm_wrapped


def _worker(rank: int, world: int, port: int, task: tuple, q) -> None:
    os.environ["SMALLWORLD_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world,
                            timeout=datetime.timedelta(seconds=300))  # fmt: skip
    try:
        kind, *args = task
        q.put((rank, globals()[f"_task_{kind}"](rank, world, *args)))
    finally:
        dist.destroy_process_group()


def _task_train(rank: int, world: int, rule: str, mode: str, batch: int, epochs: int, batches: int,
                transport: str = "auto") -> dict:  # fmt: skip
    os.environ["SMALLWORLD_DATA_TRANSPORT"] = transport  # data-parallel: shared memory ("shm") or gloo ("backend")
    counter = [0]
    _count_bytes(counter)
    n = batch * batches
    res = train(SparseMLP(SIZES, seed=0), rule, _data(n), epochs=epochs, batch_size=batch, seed=0, progress=False,
                distributed=mode)  # fmt: skip
    steps = epochs * batches
    return {"rate": _rate(res.history, n), "bytes": counter[0] / steps}


def _task_ddp(rank: int, world: int, batch: int, epochs: int, batches: int) -> dict:
    from torch.nn.parallel import DistributedDataParallel as DDP

    torch.manual_seed(0)
    layers = []
    for a, b in zip(SIZES[:-1], SIZES[1:]):
        layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
    net = DDP(torch.nn.Sequential(*layers[:-1]))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, fused=True)
    X, y, _, _ = _data(batch * batches)
    per = batch // world
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for b in range(batches):
            xb = X[b * batch + rank * per : b * batch + (rank + 1) * per]
            yb = y[b * batch + rank * per : b * batch + (rank + 1) * per]
            opt.zero_grad(set_to_none=True)
            torch.nn.functional.cross_entropy(net(xb), yb).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    n_params = sum(p.numel() for p in net.parameters())
    return {"rate": batch * batches / statistics.median(times[1:] or times), "bytes": n_params * 4}


def _task_comm(rank: int, world: int, act_shape: tuple, n_grad: int, reps: int) -> dict:
    """Median seconds of a send/recv of one activation matrix, of a 4-byte message, and of an all-reduce."""
    import torch.distributed as dist

    out = {}
    for name, shape in (("act", act_shape), ("tiny", (1,))):
        t = torch.zeros(shape)
        times = []
        for _ in range(reps):
            dist.barrier()
            t0 = time.perf_counter()
            if rank == 0:
                dist.send(t, 1)
                dist.recv(t, 1)
            else:
                dist.recv(t, 0)
                dist.send(t, 0)
            times.append((time.perf_counter() - t0) / 2)  # one way
        out[name] = statistics.median(times)
    g = torch.zeros(n_grad)
    dist.all_reduce(g)  # warm-up
    times = []
    for _ in range(max(3, reps // 4)):
        dist.barrier()
        t0 = time.perf_counter()
        dist.all_reduce(g)
        times.append(time.perf_counter() - t0)
    out["allreduce"] = statistics.median(times)
    from nets._shmreduce import SharedReducer  # the same sum through shared memory (data-parallel's default here)

    red = SharedReducer.open(n_grad, torch.float32, on_cpu=True, required=True)
    red.all_reduce([g], 0.5)  # warm-up: the first touch of the mapping's pages
    times = []
    for _ in range(max(3, reps // 4)):
        dist.barrier()
        t0 = time.perf_counter()
        red.all_reduce([g], 0.5)
        times.append(time.perf_counter() - t0)
    red.close()
    out["shm"] = statistics.median(times)
    return out


def spawn(task: tuple, world: int = 2) -> list[dict]:
    import torch.multiprocessing as mp

    import queue

    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [ctx.Process(target=_worker, args=(r, world, port, task, q), daemon=True) for r in range(world)]
    for p in procs:
        p.start()
    got: dict = {}
    try:
        while len(got) < world:
            try:
                rank, res = q.get(timeout=1.0)
                got[rank] = res
            except queue.Empty:  # a worker that died before reporting would otherwise hang the benchmark
                dead = [(r, p.exitcode) for r, p in enumerate(procs) if r not in got and p.exitcode not in (None, 0)]
                if dead:
                    raise RuntimeError(f"benchmark worker rank {dead[0][0]} died (exit code {dead[0][1]}) on task {task[0]!r}")
    finally:
        for p in procs:
            if p.is_alive() and len(got) < world:
                p.terminate()
            p.join(timeout=30)
    return [got[r] for r in range(world)]


# -- per-block times and the scaling model ---------------------------------------------------------


def block_times(batch: int, steps: int) -> list[float]:
    """Median seconds per step of each predsim block (forward, local loss, backward, Adam) and the output layer, 1 thread."""
    torch.set_num_threads(1)
    learner = apply_rule(SparseMLP(SIZES, seed=0), "predsim", seed=0)
    X, y, _, _ = _data(batch)
    heads, samples = learner.extra["heads"], [[] for _ in SIZES[1:]]
    for s in range(steps):
        h = X
        for i, layer in enumerate(learner.layers):
            t0 = time.perf_counter()
            opt = learner.optimizers["output" if i == len(heads) else f"block{i}"]
            if i == len(heads):
                loss = torch.nn.functional.cross_entropy(layer(h), y)
            else:
                out = learner.act(layer(h))
                loss = heads[i](out, y)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if i < len(heads):
                h = out.detach()
            if s > 0:
                samples[i].append(time.perf_counter() - t0)
    return [statistics.median(v) for v in samples]


def predict(blocks: list[float], comm: dict, n_grad: int, t_bp256: float, w: int) -> dict:
    """Paper model of the speed-up on w workers (see BENCHMARKS.md): compute from measured times, messages from
    the measured gloo costs on this machine (loopback; a real network is slower)."""
    act_bytes = 128 * 1024 * 4
    bw = n_grad * 4 / comm["allreduce"]  # bytes/s of a 2-rank ring all-reduce (each rank moves S bytes)
    alpha = comm["tiny"]
    total = sum(blocks)
    # layer-parallel: at most one rank per block; the slowest stage plus one activation hand-over sets the pace
    stages = min(w, len(blocks))
    owners = layer_partition([max(1, int(t * 1e6)) for t in blocks], stages)
    slowest = max(sum(t for t, o in zip(blocks, owners) if o == r) for r in range(stages))
    t_layer = slowest + (comm["act"] if stages > 1 else 0.0)
    # data-parallel BP at global batch 256: compute / w (optimistic at small per-rank batches) + ring all-reduce
    t_ring = 2 * (w - 1) / w * n_grad * 4 / bw + 2 * (w - 1) * alpha
    t_data = t_bp256 / w + t_ring
    # one machine, shared memory: measured at 2 ranks only (its cost at w ranks depends on the memory system)
    data_shm = t_bp256 / (t_bp256 / w + comm["shm"]) if w == 2 else None
    return {
        "layer": total / t_layer, "layer_stages": stages, "data": t_bp256 / t_data, "data_shm": data_shm,
        "act_bytes": act_bytes, "ring_s": t_ring,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batches", type=int, default=24, help="mini-batches per epoch")
    args = ap.parse_args()
    from smallworld._threads import usable_cores

    cores = usable_cores()
    E, B = args.epochs, args.batches
    rows = []  # (label, procs, batch, samples/s, bytes per mini-batch per rank)

    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    single = {th: one_process("predsim", 128, E, B, th) for th in sorted({1, cores})}
    for th, r in single.items():
        rows.append((f"predsim, 1 process, {th} thread(s)", 1, 128, r, 0))
    for mode in ("layer", "layer-pipelined"):
        res = spawn(("train", "predsim", mode, 128, E, B))
        rows.append((f"predsim, {mode}, 2 x 1 thread", 2, 128, min(r["rate"] for r in res), max(r["bytes"] for r in res)))
    dfa = {th: one_process("dfa", 128, E, B, th) for th in sorted({1, cores})}
    for th, r in dfa.items():
        rows.append((f"dfa, 1 process, {th} thread(s)", 1, 128, r, 0))
    for mode in ("layer", "layer-pipelined"):
        res = spawn(("train", "dfa", mode, 128, E, B))
        rows.append((f"dfa, {mode}, 2 x 1 thread", 2, 128, min(r["rate"] for r in res), max(r["bytes"] for r in res)))
    bp128 = {th: one_process("bp", 128, E, B, th) for th in sorted({1, cores})}
    for th, r in bp128.items():
        rows.append((f"bp, 1 process, {th} thread(s)", 1, 128, r, 0))
    res = spawn(("ddp", 128, E, B))
    rows.append(("bp nn.Linear, torch DDP, 2 x 1 thread", 2, 128, min(r["rate"] for r in res), res[0]["bytes"]))
    via = {"shm": "shared memory", "backend": "gloo"}  # SMALLWORLD_DATA_TRANSPORT
    for t in via:
        res = spawn(("train", "bp", "data", 128, E, B, t))
        rows.append((f"bp, data via {via[t]}, 2 x 1 thread", 2, 128, min(r["rate"] for r in res), max(r["bytes"] for r in res)))
    bp256 = {th: one_process("bp", 256, E, B // 2, th) for th in sorted({1, cores})}
    for th, r in bp256.items():
        rows.append((f"bp, 1 process, {th} thread(s)", 1, 256, r, 0))
    for mode in ("data", "data-bf16"):
        for t in via:
            res = spawn(("train", "bp", mode, 256, E, B // 2, t))
            rows.append((f"bp, {mode} via {via[t]}, 2 x 1 thread", 2, 256, min(r["rate"] for r in res),
                         max(r["bytes"] for r in res)))  # fmt: skip
    # DDP's convention: the batch is per process (256 each, 512 in all); one process at 512 as a check
    bp512 = one_process("bp", 512, E, B // 4, 1)
    rows.append(("bp, 1 process, 1 thread(s)", 1, 512, bp512, 0))
    for mode, t in (("data", "shm"), ("data", "backend"), ("data-bf16", "backend")):
        res = spawn(("train", "bp", mode, 512, E, B // 4, t))
        rows.append((f"bp, {mode} via {via[t]}, 2 x 1 thread, 256 per process", 2, 512, min(r["rate"] for r in res),
                     max(r["bytes"] for r in res)))  # fmt: skip

    n_grad = sum(p.numel() for p in SparseMLP(SIZES, seed=0).parameters())
    comm = spawn(("comm", (128, 1024), n_grad, 40))[0]
    blocks = block_times(128, 12)
    t_bp256 = 256 / bp256[1]
    wall = time.perf_counter() - t0

    print(f"torch {torch.__version__}, {cores} usable core(s); {E} epochs x {B} mini-batches per row, "
          f"median of epochs 2..{E}; wall {wall:.0f} s; load average {load0:.2f} before, "
          f"{os.getloadavg()[0]:.2f} after (other jobs on the machine)\n")  # fmt: skip
    print("### Per-block step time, predsim 784-1024x4-10, batch 128, 1 thread (median)\n")
    print("| block | ms / step |")
    print("|---|---:|")
    for i, t in enumerate(blocks):
        print(f"| {'output' if i == len(blocks) - 1 else f'block {i}'} | {t * 1e3:.1f} |")
    print(f"\ngloo on this machine (loopback): one-way 128x1024 float32 activation {comm['act'] * 1e3:.2f} ms, "
          f"4-byte message {comm['tiny'] * 1e6:.0f} us, 2-rank all-reduce of {n_grad * 4 / 1e6:.1f} MB "
          f"{comm['allreduce'] * 1e3:.1f} ms; the same sum through shared memory {comm['shm'] * 1e3:.1f} ms\n")  # fmt: skip
    print("### Predicted speed-up (paper model from the measured times above; not measured)\n")
    print("| workers | layer-parallel predsim (stages) | data-parallel BP, batch 256, gloo ring | the same, shared memory |")
    print("|---:|---:|---:|---:|")
    for w in (2, 8, 64):
        p = predict(blocks, comm, n_grad, t_bp256, w)
        shm = f"{p['data_shm']:.2f}x" if p["data_shm"] is not None else "- (one machine of w cores: not modelled)"
        print(f"| {w} | {p['layer']:.2f}x ({p['layer_stages']}) | {p['data']:.2f}x | {shm} |")
    best = lambda d: max(d.values())  # noqa: E731
    lp = {r[0]: r[3] for r in rows}
    print("\n### Measured throughput (samples/s) and communication per mini-batch\n")
    print("| run | processes | batch | samples/s | vs best 1 process | vs 1 process, 1 thread | bytes / mini-batch / rank (wire or shared memory) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for label, procs, batch, rate, nbytes in rows:
        # the 512 rows (256 per process) are compared with one process at 256, the per-process batch
        ref = single if label.startswith("predsim") else dfa if label.startswith("dfa") else bp128 if batch == 128 else bp256
        print(f"| {label} | {procs} | {batch} | {rate:.0f} | {rate / best(ref):.2f}x | {rate / ref[1]:.2f}x | {nbytes:,.0f} |")
    lay = lp["predsim, layer-pipelined, 2 x 1 thread"] / best(single)
    p2 = predict(blocks, comm, n_grad, t_bp256, 2)
    dat = {(r[0].split(",")[1].strip(), r[2]): r[3] for r in rows if r[0].startswith("bp, data") and r[2] > 128}
    print(f"\nlayer-parallel (pipelined) predsim: {lay:.2f}x the best one process, {lp['predsim, layer-pipelined, 2 x 1 thread'] / single[1]:.2f}x "
          f"1 thread (target >= 1.6); data-parallel BP (target >= 1.5) vs one process at 256, best / 1 thread: "
          + "; ".join(f"{m} {'at 256' if b == 256 else '256 per process'} {v / best(bp256):.2f}x / {v / bp256[1]:.2f}x"
                      for (m, b), v in dat.items())
          + f"; predicted at 2 workers: layer {p2['layer']:.2f}x, data {p2['data']:.2f}x through gloo and "
          f"{p2['data_shm']:.2f}x through shared memory")  # fmt: skip


if __name__ == "__main__":
    main()
