"""The pages of followthrough, split by area (incidents, postmortems, actions, meetings)."""
