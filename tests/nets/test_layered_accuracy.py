"""Issue 9's accuracy targets for the layered small-world network (slow:
``python -m pytest -m slow tests/nets/test_layered_accuracy.py -s``).

The demo's layered small-world wiring (:func:`nets.layered_smallworld`,
``[64, 128, 128, 10]``, skip 2, p 0.1, exactly the dense 64-64-64-10 MLP's
8,832 weights, neuron-graph sigma ~1.6) run as a :class:`nets.WiredNet`:
digits, Adam, batch 64, seeds 0-2 (the seed draws the split, the wiring, the
weights, the rule's random matrices and the batch order), the settings of the
DAG's accuracy test (test_dag_accuracy.py): BP, FA, predsim and the readout-only
control 40 epochs at lr 3e-3, DFA 60 epochs at lr 1e-3; predsim with beta 0.9
(the weight of its similarity term; 0.99, Nokland & Eidnes's value for wide conv
nets, leaves this 128-wide net's prediction term almost untrained: 95.3% against
96.6%).  Every rule reaches >= 95% on average; the readout-only control on the
same wiring stays >= 5 points below each of them.
"""

from __future__ import annotations

import statistics

import pytest
import torch

from nets import WiredNet, load_dataset, train
from nets.layered import layer_pairs, layered_smallworld

pytestmark = pytest.mark.slow

SIZES, SKIP, P, BUDGET = [64, 128, 128, 10], 2, 0.1, 8832
BATCH = 64
SETTINGS = {"bp": (40, 3e-3), "fa": (40, 3e-3), "dfa": (60, 1e-3), "predsim": (40, 3e-3), "readout-only": (40, 3e-3)}
#: Rule options beyond epochs and lr (see the module docstring).
OPTIONS = {"predsim": {"beta": 0.9}}
SEEDS = (0, 1, 2)
RULES = ("bp", "fa", "dfa", "predsim")


@pytest.fixture(scope="module")
def grid():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    slots = sum(SIZES[a] * SIZES[b] for a, b in layer_pairs(len(SIZES), SKIP))
    acc = {}
    try:
        for seed in SEEDS:
            ds = load_dataset("digits", seed=seed)
            wiring = layered_smallworld(SIZES, BUDGET / slots, skip=SKIP, p=P, seed=seed)
            assert wiring.adjacency.nnz == BUDGET
            for rule in (*RULES, "readout-only"):
                epochs, lr = SETTINGS[rule]
                res = train(WiredNet(wiring, seed=seed), rule, ds, epochs=epochs, lr=lr, batch_size=BATCH,
                            seed=seed, progress=False, **OPTIONS.get(rule, {}))  # fmt: skip
                acc[rule, seed] = res.final_test_accuracy
    finally:
        torch.set_num_threads(threads)
    print("\n| rule | " + " | ".join(f"seed {s}" for s in SEEDS) + " | mean |")
    print("|---|" + "---:|" * (len(SEEDS) + 1))
    for rule in (*RULES, "readout-only"):
        vals = [acc[rule, s] for s in SEEDS]
        print(f"| {rule} | " + " | ".join(f"{100 * v:.1f}" for v in vals) + f" | {100 * statistics.mean(vals):.1f} |")
    return acc


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_reaches_95_percent(grid, rule):
    assert statistics.mean(grid[rule, s] for s in SEEDS) >= 0.95


#: Margin over the readout-only control (issue 9: 5 points).  The skip arcs let the output read both hidden
#: layers, so the control is a 256-unit random-feature readout and strong (91.0% measured 2026-12-03).
MARGIN = 0.05


@pytest.mark.parametrize("rule", RULES)
def test_readout_control_stays_lower(grid, rule):
    ctrl = statistics.mean(grid["readout-only", s] for s in SEEDS)
    assert statistics.mean(grid[rule, s] for s in SEEDS) - ctrl >= MARGIN
