"""The pages of teams, people, invitations and personal API tokens."""
