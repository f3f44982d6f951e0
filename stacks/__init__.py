"""CDK stacks that compose the workflow constructs into this app."""
