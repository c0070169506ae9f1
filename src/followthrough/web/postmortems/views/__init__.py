"""The postmortem's pages: the tabbed editor, its lint panel, the meeting."""
