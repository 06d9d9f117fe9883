"""The six-problems card: every rule has an honest entry; table, dict and CLI agree."""

from __future__ import annotations

import pytest

from nets.card import CARD, PROBLEMS, rule_card
from nets.rules import Rule

#: Rules whose update reads the label vector (or a projection of it): they may not claim problem 6.
LABEL_RULES = {r for r in Rule if r not in (Rule.NODE_PERTURBATION, Rule.AGREL)}


def test_every_rule_has_a_card_entry():
    # a new Rule member cannot be added without saying what it removes
    assert set(CARD) == set(Rule)


@pytest.mark.parametrize("rule", list(Rule))
def test_claims_are_problems_with_one_line_reasons(rule):
    entry = CARD[rule]
    assert set(entry.removes) <= set(PROBLEMS)
    for reason in entry.removes.values():
        assert reason.strip() and "\n" not in reason
    assert entry.note.strip() and "\n" not in entry.note


def test_claims_are_honest():
    assert not CARD[Rule.BP].removes
    assert all(6 not in CARD[r].removes for r in LABEL_RULES)  # the label vector is the target
    assert all(4 not in CARD[r].removes for r in Rule)  # every rule here sends continuous values
    # bio variants drop weight transport, their backprop-headed twins do not
    for plain, bio in ((Rule.PRED, Rule.PRED_BIO), (Rule.SIM, Rule.SIM_BIO), (Rule.PREDSIM, Rule.PREDSIM_BIO)):
        assert 3 not in CARD[plain].removes and 3 in CARD[bio].removes
    # AGREL here sends the chosen unit's feedback through W^T: weight transport stays
    assert set(CARD[Rule.AGREL].removes) == {6}
    assert set(CARD[Rule.NODE_PERTURBATION].removes) == {1, 2, 3, 5, 6}


def test_table_and_dict_agree():
    card = rule_card("dict")
    assert list(card) == [r.value for r in Rule]
    lines = rule_card("table").splitlines()
    assert lines[0].startswith("| rule | 1 linear backward | 2 derivative transport | 3 weight transport")
    rows = {line.split(" | ")[0][2:]: line.strip("| ").split(" | ")[1:] for line in lines[2 : 2 + len(Rule)]}
    assert set(rows) == set(card)
    for rule, cells in rows.items():
        assert [k for k, c in zip(PROBLEMS, cells) if c == "x"] == sorted(card[rule]["removes"])
    with pytest.raises(ValueError, match="format must be one of"):
        rule_card("html")


def test_cli_list_rules_prints_the_card(capsys):
    from smallworld.cli import main

    assert main(["train", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == rule_card().strip()
