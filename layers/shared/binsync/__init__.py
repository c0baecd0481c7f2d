"""binsync shared package: the Lambda layer every function imports."""

__version__ = "0.1.0"
