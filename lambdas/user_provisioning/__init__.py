"""Handler code of the user-provisioning workflow: request validation, outcome reports, and the
provisioners that need logic beyond a single AWS API call (access scopes, API keys)."""
