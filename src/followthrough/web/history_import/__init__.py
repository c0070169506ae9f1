"""Importing history: incidents, postmortems and action items from another tool's export
(incident.io, Rootly, FireHydrant) or a folder of Markdown postmortems.

Each source module turns its input into plain records (:mod:`.records`); :mod:`.load`
checks every record through the API's own schemas and model rules and writes them all in
one transaction, or nothing. Importing the same export twice creates nothing new: each
incident is keyed on its source and the source's own id.
"""
