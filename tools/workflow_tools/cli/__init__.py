"""This app's commands of the ``workflows`` CLI (workflow-cli), as command plugins.

``approve`` and ``reject`` answer stack-deployment approvals (:mod:`.approval_commands`, which also
starts stack-deployment through its entry); ``pay`` and ``decline`` play the sandbox payment provider
(:mod:`.sandbox`). The root ``pyproject.toml`` registers them under ``workflows.commands``.
"""
