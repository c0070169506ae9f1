"""Linter configuration: rules by code, name or category; loud about mistakes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from followthrough.core.config import ConfigError, LintConfig, config_from_table, load_config
from followthrough.core.lint import lint_text
from followthrough.core.rules import BY_CODE
from followthrough.core.rules.base import Severity

DOC = """\
# Checkout errors
## Summary
Bob broke prod.

Human error.
## Action items
- Improve monitoring
"""


def codes(config: LintConfig) -> set[str]:
    return {f.rule for f in lint_text(DOC, config=config)}


def test_rules_can_be_selected_by_code_name_category_or_code_prefix() -> None:
    assert codes(LintConfig(select=("PM101",))) == {"PM101"}
    assert codes(LintConfig(select=("blame.hindsight-language",))) == {"PM102"}
    assert codes(LintConfig(select=("unowned_action",))) == {"PM201"}
    assert codes(LintConfig(select=("PM2",))) >= {"PM201", "PM202", "PM203"}
    assert codes(LintConfig(select=("blame",))) == {"PM101", "PM102"}


def test_ignored_rules_do_not_run() -> None:
    found = codes(LintConfig(ignore=("blame", "PM2", "process")))
    assert not found & {"PM101", "PM102", "PM201", "PM202", "PM203", "PM702"}
    assert "PM501" in found


def test_a_severity_override_downgrades_a_rule() -> None:
    config, warnings = config_from_table({"severity": {"PM201": "info", "blame": "warning"}})
    assert warnings == []
    found = {f.rule: f.severity for f in lint_text(DOC, config=config)}
    assert found["PM201"] == Severity.INFO
    assert found["PM101"] == Severity.WARNING
    assert config.severity_for(BY_CODE["PM202"]) == Severity.ERROR


def test_an_unknown_rule_name_is_a_warning_not_silence() -> None:
    config, warnings = config_from_table({"ignore": ["PM999", "blame"], "colour": "red"})
    assert any("'PM999'" in w for w in warnings)
    assert any("unknown key 'colour'" in w for w in warnings)
    assert config.ignore == ("PM999", "blame")


def test_an_unused_suppression_is_reported() -> None:
    text = "# X\n## Summary\n<!-- followthrough: disable=PM101 -->\nCheckout failed.\n"
    found = lint_text(text)
    assert [(f.rule, f.line) for f in found if f.rule == "PM790"] == [("PM790", 4)]


def test_a_suppression_silences_the_finding_on_the_next_line() -> None:
    text = "# X\n## Summary\n<!-- followthrough: disable=blame -->\nBob broke prod.\n"
    found = lint_text(text)
    assert not [f for f in found if f.category == "blame" or f.rule == "PM790"]


def test_a_finding_silenced_by_a_comment_naming_its_rule_twice_leaves_neither_name_unused() -> None:
    for names in ("PM101,blame.person-as-agent", "blame.person-as-agent,PM101", "PM101,blame"):
        text = f"# X\n## Summary\n<!-- followthrough: disable={names} -->\nBob broke prod.\n"
        found = lint_text(text)
        assert not [f for f in found if f.rule in ("PM101", "PM790")], names


def test_a_suppression_naming_a_rule_twice_reports_the_same_whatever_the_hash_seed() -> None:
    import subprocess
    import sys

    text = "# X\n## Action items\n<!-- followthrough: disable=PM201,action-items.unowned -->\n- Fix it\n"
    script = (
        "import sys; from followthrough.core.lint import lint_text; "
        "print([(f.rule, f.line, f.message) for f in lint_text(sys.argv[1])])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script, text],
            env={
                **os.environ,
                "PYTHONHASHSEED": str(seed),
                "PYTHONPATH": os.pathsep.join(sys.path),
            },
            capture_output=True,
            check=True,
            text=True,
        ).stdout
        for seed in range(8)
    }
    assert len(outputs) == 1, outputs


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"fail_on": "fatal"}, "not a severity"),
        ({"severity": {"PM201": "loud"}}, "not a severity"),
        ({"copy_paste_threshold": 1.5}, "number in (0, 1]"),
        ({"min_whys": 0}, "positive integer"),
        ({"required_sections": ["summary", "epilogue"]}, "'epilogue' is not a section"),
        ({"team_names": "ok but", "corpus": "yes"}, "true or false"),
        ({"select": [1, 2]}, "list of strings"),
    ],
)
def test_an_invalid_value_is_a_clear_error(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_from_table(table, source="pyproject.toml")


def test_config_is_found_upward_in_pyproject_toml(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.followthrough.lint]\nignore = ["PM702"]\nfail_on = "error"\nteam_names = ["Rocket"]\n'
    )
    folder = tmp_path / "postmortems" / "2026"
    folder.mkdir(parents=True)
    config, warnings = load_config(start=folder)
    assert warnings == []
    assert config.ignore == ("PM702",)
    assert config.fail_on == Severity.ERROR
    found = lint_text(
        "## Action items\n- Add an alert (owner: Rocket, due 2026-03-04)\n", config=config
    )
    assert "PM201" in {f.rule for f in found}


def test_a_followthrough_toml_wins_over_pyproject_in_the_same_folder(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.followthrough.lint]\nmin_whys = 4\n")
    (tmp_path / ".followthrough.toml").write_text("[lint]\nmin_whys = 5\n")
    config, _ = load_config(start=tmp_path)
    assert config.min_whys == 5


def test_an_explicit_config_file_that_is_missing_or_broken_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(explicit=tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[lint\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(explicit=broken)


def test_no_config_file_means_defaults(tmp_path: Path) -> None:
    config, warnings = load_config(start=tmp_path)
    assert warnings == [] and config == LintConfig()


def test_extra_vague_words_extend_the_word_list() -> None:
    text = "## Action items\n- Tidy up the dashboards (@alice, 2026-03-04)\n"
    assert "PM203" not in {f.rule for f in lint_text(text)}
    config, _ = config_from_table({"extra_vague_words": ["tidy up"]})
    assert "PM203" in {f.rule for f in lint_text(text, config=config)}
