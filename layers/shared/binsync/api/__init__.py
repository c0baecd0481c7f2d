"""The REST API (issue 6): Powertools' REST resolver, pydantic validation, generated OpenAPI.

- `resolver.build_app()` assembles the routers of `routes/` and the error handlers;
- `auth.current_user()` is the only source of the caller's id (the authorizer's claims);
- `errors` maps domain errors and validation errors to one error body;
- `openapi` writes/reads the committed openapi.json.
"""
