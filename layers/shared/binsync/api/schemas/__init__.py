"""Pydantic request and response models of the REST API, one module per resource.

They are the OpenAPI document (openapi.json is generated from them) and the validation of every
request and response, so they say exactly what the API accepts and returns.
"""
