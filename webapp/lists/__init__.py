"""A patron's lists in the web catalogue: the Merkliste and saved searches with alerts.

- `merkliste`: "Merken" on each hit and record page, /account/list with notes, remove, the
  export as RIS or BibTeX and "An mich senden" (a notice to the account's address).
- `searches`: "Suche speichern" on the hit list, /account/searches with the alert toggle,
  and /alerts/unsubscribe/<token>, which turns an alert off without a login.

The rules (how many, how long a note, which titles are new) are libnet.lists'.
"""
