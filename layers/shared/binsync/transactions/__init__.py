"""A user's transactions as the API serves them: queries, annotations, exports."""
