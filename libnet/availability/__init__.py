"""Live availability (Verfügbarkeit): a library's own system asked, while a page waits, whether
its copies of a title are on the shelf now, with the harvested status kept where it does not
answer in time.

model.py holds the values and the one protocol every source of live status follows; daia.py
is the DAIA 1.0 client; sip2.py asks a library's system by barcode over SIP2 (Item
Information, through libnet.sip2's pool); service.py asks the libraries in parallel, with a
deadline and a cache; stats.py keeps how each library's source has been doing.
"""
