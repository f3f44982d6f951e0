"""Customer onboarding: validate the request, provision the tenant, record the outcome.

``handler`` holds the Lambda entry points (decorators and one call each); the other modules are
plain logic that takes its AWS clients as arguments.
"""
