"""The newsingest daemon shell: config, CLI, Redis plumbing, pollers and HTTP."""
