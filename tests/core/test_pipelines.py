"""The linter where teams run it: the pre-commit hook, the GitHub Action, the GitLab template.

pre-commit and the CI runners are not run here (they install from the network); what they
read is checked instead: the hook picks postmortem folders and never a README, its entry
reports the staged file compared with the whole folder, and the workflow files are valid.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import yaml
from click.testing import CliRunner

from followthrough.cli import main

ROOT = Path(__file__).resolve().parents[2]
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
HOOK = HOOKS[0]


def selected(path: str) -> bool:
    """pre-commit's selection: `files` and `exclude` are Python regexes searched in the path."""
    return bool(re.search(HOOK["files"], path)) and not re.search(HOOK["exclude"], path)


def test_the_hook_lints_postmortem_folders_only_and_never_their_readme() -> None:
    assert selected("postmortems/2026-03-04-checkout.md")
    assert selected("docs/post-mortems/2025/pm-12.markdown")
    assert selected("incidents/inc-2291.md")
    assert not selected("postmortems/README.md")
    assert not selected("postmortems/template.md")
    assert not selected("docs/architecture.md")
    assert not selected("README.md")


def test_the_hook_runs_serially_so_the_folder_checks_see_the_whole_folder() -> None:
    assert HOOK["require_serial"] is True
    assert HOOK["id"] == "followthrough" and HOOK["language"] == "python"
    assert "--against-parent-folders" in HOOK["entry"]


def test_the_hooks_entry_flags_a_staged_copy_of_an_older_postmortem(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    folder.mkdir()
    passage = (
        "Our monitoring did not detect the growing backlog quickly enough for the on-call "
        "engineer to act, because the queue-depth alert fired only after forty minutes and "
        "no dashboard showed the consumer lag of the payment workers at night.\n"
    )
    (folder / "2025-01-10-queue.md").write_text(
        "# Queue backlog\n\n## Contributing factors\n" + passage
    )
    staged = folder / "2026-02-01-queue-again.md"
    staged.write_text("# Payments backlog\n\n## Contributing factors\n" + passage)
    command = shlex.split(HOOK["entry"])[1:] + ["--format", "json", "--select", "copy_paste"]
    result = CliRunner().invoke(main, [*command, str(staged)])
    assert result.exit_code == 1, result.output
    assert "2025-01-10-queue.md" in result.stdout


def test_the_github_action_uploads_sarif_and_fails_only_after_the_upload() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    names = [step.get("name") or step.get("uses") for step in steps]
    upload = next(i for i, s in enumerate(steps) if "upload-sarif" in s.get("uses", ""))
    fail = names.index("Fail on findings")
    assert upload < fail
    lint = next(s for s in steps if s.get("id") == "lint")["run"]
    assert "--sarif-output" in lint and "--against" in lint and "--format github" in lint


def test_the_gitlab_template_reports_code_quality() -> None:
    job = yaml.safe_load((ROOT / "ci" / "followthrough.gitlab-ci.yml").read_text())["followthrough"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert "--format codeclimate" in job["script"][0]
