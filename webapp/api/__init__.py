"""The JSON API under /api/v1: search and records (search.py), the loan network (loans.py), and
its OpenAPI document (openapi.py, with openapi_loans.py and the building blocks in
openapi_schema.py). Its limits are webapp.limits, which the staff and catalogue pages read too."""
