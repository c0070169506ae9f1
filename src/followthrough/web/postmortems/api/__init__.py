"""The postmortems part of the REST API: documents, sections, meetings."""
