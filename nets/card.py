"""The six-problems card: which of backprop's six biological problems each rule removes.

Bengio et al. (2015) list six reasons why backprop is not what the brain does:

1. the backward pass is **linear** while neurons are nonlinear;
2. the backward path must know the forward **derivatives**;
3. it must know the forward **weights** (weight transport);
4. neurons send **binary spikes**, not continuous values;
5. forward and backward **phases** must alternate;
6. where the **target** comes from (the brain has no label vector at its output).

A rule *claims* a problem only if its update really does without that signal;
each claim carries a one-line reason, and each rule a note on what it keeps.
:data:`CARD` has an entry for every :class:`~nets.Rule` (a test enforces it).

References
----------
.. [1] Y. Bengio, D.-H. Lee, J. Bornschein, T. Mesnard and Z. Lin, "Towards biologically
   plausible deep learning", arXiv:1502.04156 (2015).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smallworld._validation import check_choice

from .rules import Rule

__all__ = ["PROBLEMS", "RuleCard", "CARD", "rule_card"]

#: Backprop's six problems (Bengio et al. 2015), number -> short name.
PROBLEMS: dict[int, str] = {
    1: "linear backward",
    2: "derivative transport",
    3: "weight transport",
    4: "spikes",
    5: "separate phases",
    6: "source of target",
}


@dataclass(frozen=True)
class RuleCard:
    """One rule's entry: ``removes`` maps each claimed problem (1-6) to its reason; ``note`` says what stays."""

    removes: dict[int, str] = field(default_factory=dict)
    note: str = ""


_FA_KEEPS = "error still sent down a linear path gated by f'; needs the label vector; separate backward phase"
_LOCAL_KEEPS = "the label vector at every block; a linear, f'-gated backward inside the block"

CARD: dict[Rule, RuleCard] = {
    Rule.BP: RuleCard({}, "the reference: exact gradient through W^T, gated by f', from the label vector, in a backward phase"),
    Rule.FA: RuleCard({3: "the error goes down through a fixed random B, not W^T"}, _FA_KEEPS),
    Rule.USF: RuleCard({}, "feedback sign(W) still transports the forward weights' signs (partial answer to 3); " + _FA_KEEPS),
    Rule.FRSF: RuleCard({}, "feedback sign(W)|R| still transports the forward weights' signs (partial answer to 3); " + _FA_KEEPS),
    Rule.DFA: RuleCard(
        {3: "each hidden layer gets the output error through its own fixed random B_i"},
        "partial answer to 2 (only the layer's own f', no derivatives of layers above); needs the label vector; "
        "the output error must be broadcast after a full forward pass",
    ),
    Rule.PRED: RuleCard(
        {5: "no network-wide backward sweep: a block updates right after its own forward"},
        "the head's weights are transported into the block (W_head^T); " + _LOCAL_KEEPS,
    ),
    Rule.SIM: RuleCard(
        {5: "no network-wide backward sweep: a block updates right after its own forward"},
        "the learned similarity map is transported (W_s^T); " + _LOCAL_KEEPS,
    ),
    Rule.PREDSIM: RuleCard(
        {5: "no network-wide backward sweep: a block updates right after its own forward"},
        "head and similarity-map weights transported; " + _LOCAL_KEEPS,
    ),
    Rule.PRED_BIO: RuleCard(
        {
            3: "the head's error reaches the block through a fixed random matrix (feedback alignment)",
            5: "no network-wide backward sweep: a block updates right after its own forward",
        },
        "targets are a fixed random projection of the labels; " + _LOCAL_KEEPS,
    ),
    Rule.SIM_BIO: RuleCard(
        {
            3: "no head: the similarity of the block's own output is matched, no weight sends an error",
            5: "no network-wide backward sweep: a block updates right after its own forward",
        },
        "targets are a fixed random projection of the labels; " + _LOCAL_KEEPS,
    ),
    Rule.PREDSIM_BIO: RuleCard(
        {
            3: "random-matrix head feedback and a head-free similarity loss: no forward weight sends an error",
            5: "no network-wide backward sweep: a block updates right after its own forward",
        },
        "targets are a fixed random projection of the labels; " + _LOCAL_KEEPS,
    ),
    Rule.NODE_PERTURBATION: RuleCard(
        {
            1: "no backward pass at all: each synapse correlates its own noise with a global scalar",
            2: "no derivative is computed or sent anywhere",
            3: "no error travels through any weight",
            5: "two forward passes (clean, noisy) and a broadcast scalar; no backward phase",
            6: "only the scalar L(noisy) - L(clean) per trial reaches the synapses, never a target vector",
        },
        "continuous rates; a critic outside the network computes the loss from the label; "
        "variance grows with the number of units",
    ),
    Rule.AGREL: RuleCard(
        {6: "the network sees one reward bit for the class it chose; delta = r - Q_a is a broadcast scalar"},
        "attentional feedback of the chosen unit goes through W^T gated by f' (the paper keeps feedback = forward "
        "weights by a shared local rule; here W^T is used): keeps 1, 2, 3; feedback follows the forward pass",
    ),
    Rule.DENDRITIC: RuleCard(
        {
            3: "top-down weights are fixed random (default) and interneurons learn to cancel them; no W^T is sent down",
            5: "the target nudges the output while the input is still on; errors live in apical dendrites of one settled state",
        },
        "needs the label vector (the output's target); derivatives enter only as rate differences phi(u) - phi(v_B), "
        "exact backprop only in the weak-nudging limit; top_down='symmetric' transports W^T (keeps 3); "
        "init='self-predicting' copies W into the interneurons once (init='random' learns it)",
    ),
    Rule.READOUT: RuleCard(
        {
            1: "no error is sent below the output layer (the hidden layers do not learn at all)",
            2: "no error is sent below the output layer (the hidden layers do not learn at all)",
            3: "no error is sent below the output layer (the hidden layers do not learn at all)",
        },
        "a control, not a learning rule for deep networks; the output layer learns from the label vector",
    ),
}


def rule_card(format: str = "table") -> str | dict[str, dict]:  # noqa: A002 - the natural name
    """The six-problems card of every rule, as a text table or a dict.

    Parameters
    ----------
    format : {"table", "dict"}
        ``"table"``: a markdown table, rows rules and columns problems 1-6 (``x``:
        removed, ``.``: kept), followed by each rule's reasons and note.
        ``"dict"``: ``{rule value: {"removes": {problem: reason}, "note": str}}``.

    Returns
    -------
    str or dict

    Raises
    ------
    ValueError
        For another ``format``.

    References
    ----------
    .. [1] Y. Bengio, D.-H. Lee, J. Bornschein, T. Mesnard and Z. Lin, "Towards biologically
       plausible deep learning", arXiv:1502.04156 (2015).

    Examples
    --------
    >>> card = rule_card("dict")
    >>> sorted(card["node-perturbation"]["removes"])
    [1, 2, 3, 5, 6]
    >>> card["bp"]["removes"]
    {}
    >>> print(rule_card().splitlines()[2])
    | bp | . | . | . | . | . | . |
    """
    check_choice(format, "format", ("table", "dict"))
    if format == "dict":
        return {r.value: {"removes": dict(CARD[r].removes), "note": CARD[r].note} for r in Rule}
    head = "| rule | " + " | ".join(f"{k} {v}" for k, v in PROBLEMS.items()) + " |"
    lines = [head, "|---|" + ":---:|" * len(PROBLEMS)]
    for r in Rule:
        lines.append(f"| {r.value} | " + " | ".join("x" if k in CARD[r].removes else "." for k in PROBLEMS) + " |")
    lines.append("")
    lines.append("x: the rule's update does without that signal; .: it still needs it.")
    for r in Rule:
        reasons = "; ".join(f"{k}: {why}" for k, why in CARD[r].removes.items())
        lines.append(f"- {r.value}: " + (f"removes {reasons}. " if reasons else "removes none. ") + f"Keeps: {CARD[r].note}.")
    return "\n".join(lines)
