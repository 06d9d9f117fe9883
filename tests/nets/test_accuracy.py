"""Accuracy of every rule on every wiring (digits; slow: ``python -m pytest -m slow tests/nets/test_accuracy.py -s``).

Setup (issue 4, section 6): sklearn digits, stratified 75/25 split, standardised
features; a 64-64-64-10 MLP (64 inputs, two hidden layers of 64, 10 outputs);
the hidden layers are wired dense or by a WS, BA or ER graph at 25% density
(:func:`nets.layered_masks`), the output layer is dense; Adam, lr 3e-3, batch
64, 20 epochs; seeds 0, 1, 2 (the seed draws the split, the masks, the
initial weights, the rule's random matrices and the batch order).  The final
test accuracy (after the last epoch, no early stopping) is checked.

The whole grid runs once per session (module fixture) and the ``-s`` flag
prints it as the markdown table kept in BENCHMARKS.md.
"""

from __future__ import annotations

import statistics

import pytest
import torch

from nets import Rule, SparseMLP, layered_masks, load_dataset, train

pytestmark = pytest.mark.slow

SIZES = [64, 64, 64, 10]
EPOCHS, LR, BATCH = 20, 3e-3, 64
SEEDS = (0, 1, 2)
WIRINGS = ("dense", "ws", "ba", "er")
# the reward-modulated rules have their own targets and slow test (tests/nets/test_reward.py)
RULES = tuple(r.value for r in Rule if r not in (Rule.NODE_PERTURBATION, Rule.AGREL))
TRAINED = tuple(r for r in RULES if r != "readout-only")


def _model(wiring: str, seed: int) -> SparseMLP:
    masks = None if wiring == "dense" else [*layered_masks(SIZES[:-1], wiring, 0.25, sparse_output=True, seed=seed), None]
    return SparseMLP(SIZES, masks=masks, seed=seed)


@pytest.fixture(scope="module")
def grid():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matmuls: one thread is fastest and keeps runs comparable
    acc, angle = {}, {}
    try:
        for seed in SEEDS:
            ds = load_dataset("digits", seed=seed)
            for wiring in WIRINGS:
                for rule in RULES:
                    res = train(_model(wiring, seed), rule, ds, epochs=EPOCHS, lr=LR, batch_size=BATCH, seed=seed, progress=False)
                    acc[wiring, rule, seed] = res.final_test_accuracy
                    if rule == "fa":
                        angle[wiring, seed] = res.history[-1]["angles"]["layers.2"]
    finally:
        torch.set_num_threads(threads)
    _print_table(acc, angle)
    return acc, angle


def _print_table(acc: dict, angle: dict) -> None:
    print("\n| rule | " + " | ".join(WIRINGS) + " |")
    print("|---|" + "---:|" * len(WIRINGS))
    for rule in RULES:
        cells = []
        for w in WIRINGS:
            v = [100 * acc[w, rule, s] for s in SEEDS]
            cells.append(f"{statistics.mean(v):.1f} (min {min(v):.1f})")
        print(f"| {rule} | " + " | ".join(cells) + " |")
    print("| FA angle(W, B), output layer (deg) | " + " | ".join(
        f"{statistics.mean(angle[w, s] for s in SEEDS):.1f} (max {max(angle[w, s] for s in SEEDS):.1f})" for w in WIRINGS
    ) + " |")  # fmt: skip


@pytest.mark.parametrize("seed", SEEDS)
def test_dense_backprop(grid, seed):
    assert grid[0]["dense", "bp", seed] >= 0.96


@pytest.mark.parametrize("rule", ["fa", "dfa", "predsim"])
@pytest.mark.parametrize("seed", SEEDS)
def test_dense_fa_dfa_predsim(grid, rule, seed):
    assert grid[0]["dense", rule, seed] >= 0.95


@pytest.mark.parametrize("rule", ["pred", "sim"])
@pytest.mark.parametrize("seed", SEEDS)
def test_dense_pred_and_sim(grid, rule, seed):
    assert grid[0]["dense", rule, seed] >= 0.945


@pytest.mark.parametrize("wiring", WIRINGS)
@pytest.mark.parametrize("seed", SEEDS)
def test_readout_only_control_is_weak(grid, wiring, seed):
    assert grid[0][wiring, "readout-only", seed] <= 0.89


@pytest.mark.parametrize("wiring", WIRINGS)
@pytest.mark.parametrize("seed", SEEDS)
def test_every_rule_beats_the_control_by_5_points(grid, wiring, seed):
    control = grid[0][wiring, "readout-only", seed]
    worst = min(TRAINED, key=lambda r: grid[0][wiring, r, seed])
    assert grid[0][wiring, worst, seed] >= control + 0.05, (worst, grid[0][wiring, worst, seed], control)


@pytest.mark.parametrize("wiring", ["ws", "ba", "er"])
@pytest.mark.parametrize("seed", SEEDS)
def test_sparse_wirings_reach_90_percent_with_every_rule(grid, wiring, seed):
    failing = {r: grid[0][wiring, r, seed] for r in TRAINED if grid[0][wiring, r, seed] < 0.90}
    assert not failing


@pytest.mark.parametrize("wiring", WIRINGS)
@pytest.mark.parametrize("seed", SEEDS)
def test_fa_output_layer_aligns(grid, wiring, seed):
    assert grid[1][wiring, seed] < 80.0
