"""End-to-end test of ``smallworld reproduce ws98`` against the published and the reference values."""

from __future__ import annotations

import json
import struct

import pytest

from smallworld.cli import main


@pytest.fixture(scope="module")
def ws98_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep") / "ws98"
    import io
    from contextlib import redirect_stdout

    buf = io.StringIO()
    with redirect_stdout(buf):
        rc = main(["reproduce", "ws98", "--out", str(out), "--realisations", "2", "--nrand", "6", "--seed", "3"])
    return rc, buf.getvalue(), out


def test_ws98_exit_and_files(ws98_run):
    rc, _, out = ws98_run
    assert rc == 0
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "table.md", "ws98_fig2.png"]
    png = (out / "ws98_fig2.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (960, 720)  # 6.4 x 4.8 in at 150 dpi
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_ws98_values_match_reference_data(ws98_run):
    # shared/data/README.md: n=297, m=2148, C=0.2924, L=2.4553; G(n,m): C_rand=0.0486 +- 0.002, L_rand=2.422
    _, _, out = ws98_run
    res = json.loads((out / "results.json").read_text())
    c = res["computed"]
    assert (c["n"], c["m"]) == (297, 2148)
    assert c["C_actual"] == pytest.approx(0.2924, abs=5e-5)
    assert c["L_actual"] == pytest.approx(2.4553, abs=5e-5)
    assert c["C_random"] == pytest.approx(0.0486, abs=0.003)
    assert c["L_random"] == pytest.approx(2.422, abs=0.01)
    assert c["sigma"] == pytest.approx((c["C_actual"] / c["C_random"]) / (c["L_actual"] / c["L_random"]))
    assert res["published"] == {"n": 282, "k": 14, "L_actual": 2.65, "L_random": 2.25,
                                "C_actual": 0.28, "C_random": 0.05}
    fig2 = res["fig2"]
    assert fig2["n"] == 1000 and fig2["k"] == 10 and fig2["seeds"] == 2 and len(fig2["p"]) == 14
    assert fig2["C_over_C0"][0] == pytest.approx(1.0, abs=0.01) and fig2["L_over_L0"][-1] < 0.1


def test_ws98_printed_table(ws98_run):
    _, text, out = ws98_run
    for needle in ("published (W&S 1998, n=282)", "computed (bundled file, n=297)", "| 0.28 ", "| 2.65 ",
                   "| 0.05 ", "| 2.25 ", "0.2924", "2.4553", "n = 297", "n = 282"):
        assert needle in text, needle
    assert "| 0.2924 " in (out / "table.md").read_text()


def test_ws98_refuses_to_overwrite(ws98_run, capsys):
    _, _, out = ws98_run
    before = (out / "results.json").read_bytes()
    rc = main(["reproduce", "ws98", "--out", str(out), "--realisations", "1", "--nrand", "2"])
    assert rc == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "results.json").read_bytes() == before


def test_ws98_force_overwrites(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "results.json").write_text("old")
    rc = main(["reproduce", "ws98", "--out", str(out), "--realisations", "1", "--nrand", "2", "--force"])
    assert rc == 0
    assert json.loads((out / "results.json").read_text())["computed"]["nrand"] == 2


@pytest.mark.parametrize("argv, match", [(["--nrand", "1"], "--nrand must be an integer >= 2"),
                                         (["--seed", "-1"], "--seed must be an integer >= 0")])
def test_ws98_bad_arguments(tmp_path, capsys, argv, match):
    assert main(["reproduce", "ws98", "--out", str(tmp_path / "x"), *argv]) == 2
    assert match in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_unknown_target_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "ws99"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
