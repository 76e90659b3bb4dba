"""The ops workflow's task logic: its request, the replay step and the progress step."""
