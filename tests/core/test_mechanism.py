"""A postmortem's failure mechanism (core/rules/mechanism.py): read from one document alone,
compared two at a time."""

from __future__ import annotations

import pickle

from followthrough.core.markdown import parse
from followthrough.core.rules.mechanism import Mechanism, by_mechanism, mechanism_of, same_mechanism

BATCH = """\
# Batch hosts unresponsive
## Summary
The batch hosts became unresponsive overnight.
## Contributing factors
- The PDF renderer had no memory limit and used 30 GB of memory on each host.
## Action items
- Give the PDF renderer dedicated hosts
"""


def _read(text: str, path: str = "a.md") -> Mechanism:
    return mechanism_of(parse(text, path))


def test_a_mechanism_says_what_was_exhausted_what_went_down_and_what_consumed_it() -> None:
    found = _read(BATCH)
    assert found.resources == {"memory"}
    assert "host" in found.victims
    assert [token for _, token in found.consumers] == ["pdf", "renderer"]


def test_a_mechanism_is_plain_data_that_another_process_can_send_back() -> None:
    found = _read(BATCH)
    assert pickle.loads(pickle.dumps(found)) == found


def test_a_component_down_without_a_resource_exhausted_tells_no_mechanism() -> None:
    found = _read(
        "# Batch hosts unresponsive\n## Summary\nThe batch hosts became unresponsive after a"
        " kernel patch; the vendor recalled the image.\n"
    )
    assert found.is_empty
    assert same_mechanism(found, _read(BATCH)) == (0.0, "")


def test_resources_in_general_meet_memory_but_not_disk_space() -> None:
    general = _read(
        "# Batch hosts down\n## Summary\nThe batch hosts were down.\n## Contributing factors\n"
        "- The PDF renderer has no resource limits.\n- The PDF renderer is heavy.\n"
    )
    disk = _read(
        "# Batch hosts down\n## Summary\nThe batch hosts were down.\n## Contributing factors\n"
        "- The PDF renderer filled the disk: the disk was full.\n- The PDF renderer"
        " logs too much.\n"
    )
    score, reason = same_mechanism(general, _read(BATCH))
    assert score == 0.8
    assert reason == "same failure: pdf renderer exhausting memory, batch hosts down"
    assert same_mechanism(disk, _read(BATCH)) == (0.0, "")


def test_an_action_item_that_names_the_component_proposes_nothing() -> None:
    earlier = _read(
        "# Batch hosts unresponsive\n## Summary\nThe batch hosts went down: the indexer used"
        " all their memory.\n## Action items\n- Write a runbook for batch hosts\n"
    )
    later = _read(
        "# Batch hosts down\n## Summary\nTwo batch hosts were down: the log agent's memory"
        " usage grew.\n## Contributing factors\n- Alerts on batch hosts were too late.\n"
    )
    assert ("batch", "host") not in {pair for pair, _ in earlier.remedies}
    assert same_mechanism(later, earlier) == (0.0, "")


def test_in_a_folder_each_repeat_points_at_the_most_recent_earlier_one_first() -> None:
    first, second, third = (_read(BATCH, f"{n}.md") for n in range(3))
    found = by_mechanism([(0, first), (1, second), (2, third)], set(), cap=10)
    assert 0 not in found
    assert [e for e, _, _ in found[1]] == [0]
    assert [e for e, _, _ in found[2]] == [1, 0]


def test_a_curly_apostrophe_or_an_accent_does_not_cut_a_clause() -> None:
    found = _read(
        "# Batch hosts down\n## Summary\nThe batch hosts were down: the PDF renderer’s memory"
        " usage grew.\n## Contributing factors\n- The PDF renderer’s memory had no limit on the"
        " hosts (café build).\n"
    )
    assert found.resources == {"memory"}
    assert [token for _, token in found.consumers] == ["pdf", "renderer"]


def test_a_usage_brought_down_or_a_slowed_down_queue_is_no_component_down() -> None:
    found = _read(
        "# Primary disk near full\n## Summary\nDisk usage was brought down from 95% to 60% on"
        " the primary after old WAL files were removed; the queue slowed down for a minute.\n"
    )
    assert found.is_empty
