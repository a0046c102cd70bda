"""libnet's own SIP2 2.00 client: the messages, one connection, a logged-in session.

SIP2 (3M Standard Interchange Protocol 2.00) is what library management systems speak to
self-check machines; libnet speaks it to check a patron's card and PIN (Patron Information
63/64, Patron Status 23/24) and, later, an item's status (Item Information 17/18).

- `messages`: a request to bytes and bytes to an answer (fixed fields, variable fields
  `XXvalue|`, sequence number AY and checksum AZ, SIP2 dates); bad values and broken answers
  are values (`FieldRefused`, `Garbled`), never exceptions.
- `requests`: the requests libnet sends (93, 99, 63, 23, 17) built from plain arguments.
- `patron_status`: the 14 patron status flags and the language codes of an answer.
- `connection`: one TCP (or TLS) connection: a request out, its answer in, within a timeout,
  asked again once when the answer arrives broken.
- `session`: a connection made ready for work: Login 93/94 where configured, then SC Status
  99/98.
- `pool`: a few sessions kept open to one server and shared by threads (live availability
  asks for many copies at once): each logged in once, checked with SC Status after it idled,
  thrown away after any failure.
"""
