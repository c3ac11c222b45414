"""GitOps delivery: image bumps and promotions between environment values files.

Argo CD deploys whatever the environment files in `gitops/environments/` say, so
releasing and promoting are edits to those files, made by pull request.
"""
