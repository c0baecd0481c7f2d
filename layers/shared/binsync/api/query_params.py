"""Refuse query parameters a route does not declare.

Powertools ignores unknown query parameters, so a typo in a filter (`?kinds=trade`) would return
every transaction unfiltered, which for a tax product is worse than an error. This middleware
runs after the request validation, on the matched route, and answers 422 naming the parameter.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from binsync.api.errors import error_response


def declared_query_parameters(route: Any) -> set[str]:
    return {param.alias for param in route.dependant.query_params}


def refuse_unknown_query_parameters(app: Any, next_middleware: Any) -> Response:
    route = app.context.get("_route")
    # Only the API's documented routes: Swagger UI takes `?format=json`, and the not-found
    # handler (405/404) must answer as it does for any other method.
    registered = getattr(app, "_static_routes", []) + getattr(app, "_dynamic_routes", [])
    if route is None or not route.include_in_schema or not any(r is route for r in registered):
        return next_middleware(app)
    event = app.current_event
    given = set(event.multi_value_query_string_parameters or {}) | set(event.query_string_parameters or {})
    unknown = sorted(given - declared_query_parameters(route))
    if unknown:
        known = sorted(declared_query_parameters(route))
        accepted = (f"this route accepts {', '.join(known)}" if known
                    else "this route takes no query parameters")
        return error_response(422, "unknown_parameter",
                              f"query.{unknown[0]} is not a parameter of this route ({accepted})",
                              f"query.{unknown[0]}")
    return next_middleware(app)
