"""The grader (no Qt): database, bundle import, scoring results, regrades, exports and reports."""
