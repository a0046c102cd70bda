"""OAI-PMH 2.0 at /oai: the verbs (verbs.py), list requests and their resumption tokens
(lists.py), the metadata formats and records (records.py), the answer document (answer.py)."""
