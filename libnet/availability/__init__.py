"""Live availability (Verfügbarkeit): a library's own system asked, while a page waits, whether
its copies of a title are on the shelf now, with the harvested status kept where it does not
answer in time.

model.py holds the values and the one protocol every source of live status follows; daia.py
is the DAIA 1.0 client; service.py asks the libraries in parallel, with a deadline and a cache.
"""
