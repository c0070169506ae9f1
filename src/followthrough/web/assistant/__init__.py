"""The optional writing assistant: an OpenAI-compatible chat endpoint proposes, the linter
screens, a person accepts (docs/assistant.md)."""
